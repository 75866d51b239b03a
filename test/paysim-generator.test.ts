import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  FRAUD_LEAVES_MONEY_SHARE,
  PaysimGenerator,
  REAL_GENUINE_DESTINATION_UNRECORDED,
  REAL_GENUINE_MEDIANS,
  REAL_GENUINE_ORIGIN_BOTH_ZERO,
  REAL_ROWS,
  REAL_TYPE_COUNTS,
} from '../src/dataset/paysim-generator.js'
import { PAYSIM_TYPES, type PaysimRow } from '../src/dataset/paysim-format.js'
import { readPaysim } from '../src/dataset/paysim-reader.js'
import { REPO_ROOT, runCli, tempDir } from './helpers.js'

async function generateRows(rows: number, seed: number): Promise<{ path: string; parsed: PaysimRow[] }> {
  const path = join(tempDir('paysim-gen'), `paysim-${rows}.csv`)
  await new PaysimGenerator(rows, seed).writeTo(path)
  const parsed: PaysimRow[] = []
  for await (const batch of readPaysim(path)) {
    for (const result of batch) {
      assert.ok(result.ok, !result.ok ? `${result.line}: ${result.reason}` : '')
      parsed.push(result.row)
    }
  }
  return { path, parsed }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

describe('PaySim generator', () => {
  it('on 200,000 rows: the real type mix within 2 points, fraud only in TRANSFER and CASH_OUT, genuine medians within 15%', async () => {
    const { parsed } = await generateRows(200_000, 3)
    assert.equal(parsed.length, 200_000)
    for (const type of PAYSIM_TYPES) {
      const share = parsed.filter((r) => r.type === type).length / parsed.length
      const real = REAL_TYPE_COUNTS[type] / REAL_ROWS
      assert.ok(Math.abs(share - real) < 0.02, `${type}: ${share} vs ${real}`)
      const genuine = parsed.filter((r) => r.type === type && !r.isFraud).map((r) => r.amount)
      const m = median(genuine)
      assert.ok(Math.abs(m / REAL_GENUINE_MEDIANS[type] - 1) < 0.15, `${type} median ${m} vs ${REAL_GENUINE_MEDIANS[type]}`)
    }
    const fraud = parsed.filter((r) => r.isFraud)
    assert.ok(fraud.length > 150)
    assert.ok(fraud.every((r) => r.type === 'TRANSFER' || r.type === 'CASH_OUT'))
    const transfers = parsed.filter((r) => r.type === 'TRANSFER')
    const cashOuts = parsed.filter((r) => r.type === 'CASH_OUT')
    const transferRate = transfers.filter((r) => r.isFraud).length / transfers.length
    const cashOutRate = cashOuts.filter((r) => r.isFraud).length / cashOuts.length
    assert.ok(Math.abs(transferRate - 0.0077) < 0.002, `fraud share of TRANSFERs ${transferRate}`)
    assert.ok(Math.abs(cashOutRate - 0.0018) < 0.0006, `fraud share of CASH_OUTs ${cashOutRate}`)
  })

  it('reproduces PaySim’s mechanics and quirks', async () => {
    const { parsed } = await generateRows(200_000, 4)
    for (let i = 0; i < parsed.length; i++) {
      const r = parsed[i]
      if (r.nameDest.startsWith('M')) assert.ok(r.oldbalanceDest === 0 && r.newbalanceDest === 0, 'merchant balances are not recorded')
      if (i > 0) assert.ok(r.step >= parsed[i - 1].step, 'sorted by step')
      if (r.isFraud && r.type === 'TRANSFER') {
        // a fraud TRANSFER empties the victim's balance (up to the chunk limit) and is followed at once by its CASH_OUT
        if (!r.isFlaggedFraud) assert.equal(r.newbalanceOrig, Math.round((r.oldbalanceOrg - r.amount) * 100) / 100)
        assert.equal(r.amount, Math.min(r.oldbalanceOrg, 10_000_000))
        assert.ok(r.amount <= 10_000_000)
        const next = parsed[i + 1]
        assert.equal(next.type, 'CASH_OUT')
        assert.equal(next.isFraud, true)
        assert.equal(next.amount, r.amount)
      }
      if (r.isFlaggedFraud) assert.ok(r.type === 'TRANSFER' && r.isFraud && r.amount > 200_000 && r.oldbalanceOrg === r.newbalanceOrig)
    }
    const inconsistent = parsed.filter((r) => r.type !== 'CASH_IN' && Math.abs(r.oldbalanceOrg - r.amount - r.newbalanceOrig) > 0.01).length
    assert.ok(inconsistent / parsed.length > 0.1, 'many rows break balance arithmetic, as the real file does')
    const steps = new Set(parsed.map((r) => r.step))
    assert.ok(Math.max(...steps) === 744 && Math.min(...steps) === 1)
    const night = parsed.filter((r) => (r.step - 1) % 24 < 6)
    assert.ok(night.filter((r) => r.isFraud).length / night.length > (5 * parsed.filter((r) => r.isFraud).length) / parsed.length, 'fraud is far denser at night')
  })

  it('has the real sample’s zero-balance shares, and frauds that do not always empty the account', async () => {
    // Measured on the real rows shipped in datasets/, by the same definitions.
    const real: PaysimRow[] = []
    for await (const batch of readPaysim(join(REPO_ROOT, 'datasets', 'paysim-real-sample.csv'))) for (const result of batch) if (result.ok) real.push(result.row)
    const { parsed } = await generateRows(300_000, 6)
    const share = (rows: PaysimRow[], test: (r: PaysimRow) => boolean) => rows.filter(test).length / rows.length
    const originBothZero = (r: PaysimRow) => r.oldbalanceOrg === 0 && r.newbalanceOrig === 0
    const destinationBothZero = (r: PaysimRow) => r.oldbalanceDest === 0 && r.newbalanceDest === 0
    for (const type of PAYSIM_TYPES) {
      const generated = parsed.filter((r) => r.type === type && !r.isFraud)
      const sample = real.filter((r) => r.type === type && !r.isFraud)
      for (const [name, test, expected] of [
        ['origin both 0', originBothZero, REAL_GENUINE_ORIGIN_BOTH_ZERO[type]],
        ['destination both 0', destinationBothZero, REAL_GENUINE_DESTINATION_UNRECORDED[type]],
      ] as const) {
        const ours = share(generated, test)
        const theirs = share(sample, test)
        assert.ok(Math.abs(ours - theirs) <= 0.03, `${type} ${name}: generated ${ours.toFixed(3)}, real sample ${theirs.toFixed(3)}`)
        assert.ok(Math.abs(theirs - expected) <= 0.005, `${type} ${name}: the constant ${expected} no longer matches the sample's ${theirs.toFixed(3)}`)
      }
    }
    const fraudTransfers = parsed.filter((r) => r.isFraud && r.type === 'TRANSFER' && !r.isFlaggedFraud)
    const leaveMoney = share(fraudTransfers, (r) => r.newbalanceOrig > 0)
    assert.ok(leaveMoney >= 0.015 && leaveMoney <= 0.04, `${(leaveMoney * 100).toFixed(1)}% of fraud TRANSFERs leave money behind (about ${FRAUD_LEAVES_MONEY_SHARE * 100}% wanted)`)
    assert.ok(real.some((r) => r.isFraud && r.type === 'TRANSFER' && r.newbalanceOrig > 0), 'the real sample has one too')
  })

  it('is deterministic for a seed, through the command, with gzip', async () => {
    const dir = tempDir('paysim-cmd')
    const a = join(dir, 'a.csv')
    const b = join(dir, 'b.csv')
    const gz = join(dir, 'c.csv.gz')
    for (const out of [a, b, gz]) {
      const run = await runCli(['generate', 'paysim', '--rows', '30000', '--seed', '9', '--out', out])
      assert.equal(run.code, 0, run.stderr)
    }
    const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
    assert.equal(hash(a), hash(b))
    let rows = 0
    for await (const batch of readPaysim(gz)) rows += batch.length
    assert.equal(rows, 30_000)
    const missing = await runCli(['generate', 'paysim', '--out', a])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /--rows is required/)
  })
})
