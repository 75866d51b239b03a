import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, it } from 'node:test'
import { readPaysim } from '../src/dataset/paysim-reader.js'
import { eventTimeOf } from '../src/dataset/paysim-format.js'
import { HOUR_MS } from '../src/util/time.js'
import { PaysimReplaySource } from '../src/dataset/paysim-replay-source.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { embeddedStackFixture, REPO_ROOT, runCli, tempDir } from './helpers.js'

const SAMPLE = join(REPO_ROOT, 'datasets', 'paysim-real-sample.csv')
const sampleText = readFileSync(SAMPLE, 'utf8')
const sampleRows = sampleText.trimEnd().split('\n').slice(1).map((line) => line.split(','))
const HEADER = sampleText.slice(0, sampleText.indexOf('\n'))
const GOOD_ROW = '1,PAYMENT,9839.64,C1231006815,170136.0,160296.36,M1979787155,0.0,0.0,0,0'

function writeCsv(lines: string[], name = 'file.csv'): string {
  const path = join(tempDir('paysim'), name)
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}

async function readAll(path: string) {
  const results = []
  for await (const batch of readPaysim(path)) results.push(...batch)
  return results
}

describe('PaySim reader: header and rows', () => {
  it('reads the shipped real sample: 2,851 rows, 29 frauds', async () => {
    const rows = await readAll(SAMPLE)
    assert.equal(rows.length, 2_851)
    assert.ok(rows.every((r) => r.ok))
    assert.equal(rows.filter((r) => r.ok && r.row.isFraud).length, 29)
  })

  it('names missing and reordered columns in the header', async () => {
    await assert.rejects(readAll(writeCsv([HEADER.replace(',isFlaggedFraud', ''), GOOD_ROW])), /:1: not a PaySim header: missing column isFlaggedFraud/)
    const swapped = HEADER.replace('oldbalanceOrg,newbalanceOrig', 'newbalanceOrig,oldbalanceOrg')
    await assert.rejects(readAll(writeCsv([swapped, GOOD_ROW])), /columns out of order \(oldbalanceOrg, newbalanceOrig\)/)
    await assert.rejects(readAll(writeCsv([`idx,${HEADER}`, GOOD_ROW])), /unexpected column "idx"/)
  })

  const badRows: Array<[string, string, RegExp]> = [
    ['wrong column count', '1,PAYMENT,10.0,C1,100.0,90.0,M2,0.0,0.0,0', /expected 11 columns, found 10/],
    ['non-numeric amount', '1,PAYMENT,ten,C1,100.0,90.0,M2,0.0,0.0,0,0', /amount is not a number: "ten"/],
    ['unknown type', '1,REFUND,10.0,C1,100.0,90.0,M2,0.0,0.0,0,0', /unknown type "REFUND"/],
    ['negative balance', '1,PAYMENT,10.0,C1,-100.0,90.0,M2,0.0,0.0,0,0', /oldbalanceOrg is negative: -100\.0/],
    ['empty amount', '1,PAYMENT,,C1,100.0,90.0,M2,0.0,0.0,0,0', /amount is not a number: ""/],
    ['bad label', '1,PAYMENT,10.0,C1,100.0,90.0,M2,0.0,0.0,yes,0', /isFraud must be 0 or 1, got "yes"/],
  ]
  for (const [what, line, reason] of badRows) {
    it(`reports a ${what} with its line number`, async () => {
      const results = await readAll(writeCsv([HEADER, GOOD_ROW, GOOD_ROW, line, GOOD_ROW]))
      const bad = results.filter((r) => !r.ok)
      assert.equal(bad.length, 1)
      assert.equal(bad[0].ok === false && bad[0].line, 4)
      assert.match(bad[0].ok === false ? bad[0].reason : '', reason)
    })
  }

  it('reads quoted fields through csv-parse, and gzip by its magic bytes', async () => {
    const quoted = await readAll(writeCsv([HEADER, '1,"PAYMENT",9839.64,"C1231006815",170136.0,160296.36,M1979787155,0.0,0.0,0,0']))
    assert.equal(quoted[0].ok && quoted[0].row.nameOrig, 'C1231006815')
    const gz = join(tempDir('paysim'), 'sample.csv.gz')
    writeFileSync(gz, gzipSync(readFileSync(SAMPLE)))
    const rows = await readAll(gz)
    assert.equal(rows.length, 2_851)
    const notGzip = join(tempDir('paysim'), 'broken.csv.gz')
    writeFileSync(notGzip, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]))
    await assert.rejects(readAll(notGzip), /is not a valid gzip file/)
  })

  it('names the file and the real line of a field whose quote is never closed (csv-parse alone says line 1)', async () => {
    const results = await readAll(writeCsv([HEADER, GOOD_ROW, GOOD_ROW, '1,"PAYMENT,9839.64,C1,170136.0,160296.36,M1,0.0,0.0,0,0', GOOD_ROW]))
    assert.deepEqual(
      results.filter((r) => !r.ok),
      [{ ok: false, line: 4, reason: 'a quoted field is not closed (a " with no matching ")' }],
    )
    assert.equal(results.length, 4)
    await assert.rejects(readAll(writeCsv(['"step,type', GOOD_ROW])), /file\.csv:1: not a PaySim header: a quoted field is not closed/)
  })
})

describe('PaySim replay source', () => {
  it('spreads each step evenly over its hour, in file order, and keeps labels out of transactions', async () => {
    const source = new PaysimReplaySource(SAMPLE, { idPrefix: 'r', startDateMs: 0, onBadRow: 'fail' })
    await source.start()
    const items = []
    while (source.available()) items.push(source.next())
    assert.equal(items.length, 2_851)
    const step1 = sampleRows.filter((r) => r[0] === '1').length
    assert.equal(items[0].transaction.eventTime, eventTimeOf(1, 0, step1, 0))
    assert.equal(items[step1 - 1].transaction.eventTime, Math.round(HOUR_MS - HOUR_MS / (2 * step1)))
    // The sample holds steps 1, 717, 718 and then 311: within a step, time moves forward in file order.
    for (let i = 1; i < items.length; i++) {
      if (sampleRows[i][0] === sampleRows[i - 1][0]) assert.ok(items[i].transaction.eventTime > items[i - 1].transaction.eventTime)
    }
    assert.equal(source.stats.stepsOutOfOrder, 1)
    assert.equal(items[2].transaction.account, 'C1305486145')
    assert.equal(items[2].label.isFraud, true)
    assert.doesNotMatch(JSON.stringify(items.map((i) => i.transaction)), /isFraud|isFlaggedFraud/)
    assert.equal(source.stats.fraud, 29)
  })

  it('filters by type and step, and stops at the limit', async () => {
    const source = new PaysimReplaySource(SAMPLE, {
      idPrefix: 'r',
      startDateMs: 0,
      onBadRow: 'fail',
      filters: { types: new Set(['TRANSFER', 'CASH_OUT'] as const), fromStep: 700, toStep: 717 },
    })
    await source.start()
    const expected = sampleRows.filter((r) => (r[1] === 'TRANSFER' || r[1] === 'CASH_OUT') && Number(r[0]) >= 700 && Number(r[0]) <= 717).length
    assert.ok(expected > 0)
    assert.equal(source.stats.rowsReplayed, expected)
    const limited = new PaysimReplaySource(SAMPLE, { idPrefix: 'r', startDateMs: 0, onBadRow: 'fail', filters: { limit: 100 } })
    await limited.start()
    assert.equal(limited.stats.rowsReplayed, 100)
  })
})

describe('fraudlab replay paysim on the embedded stack', () => {
  const { env } = embeddedStackFixture()
  const reportsDir = tempDir('reports')

  it('replays the real sample: every row decided, and the ledger counts the file’s 29 frauds', async () => {
    const run = await runCli(['replay', 'paysim', '--file', SAMPLE, '--tps', '2000', '--json', '--reports-dir', reportsDir], { env })
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    assert.equal(summary.command, 'replay')
    assert.equal(summary.counts.sent, 2_851)
    assert.equal(summary.counts.decided, 2_851)
    assert.equal(summary.counts.lost, 0)
    assert.equal(summary.counts.labelledFraud, 29)
    assert.equal(summary.accuracy.truePositives + summary.accuracy.falseNegatives, 29)
    assert.equal(summary.counts.blockListItems, summary.counts.blocked)
    assert.equal(summary.counts.alertsReceived, summary.counts.blocked)
  })

  it('--types and step filters replay only the matching rows', async () => {
    const run = await runCli(['replay', 'paysim', '--file', SAMPLE, '--tps', '2000', '--types', 'transfer,cash_out', '--from-step', '700', '--json', '--reports-dir', reportsDir], { env })
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    const expected = sampleRows.filter((r) => (r[1] === 'TRANSFER' || r[1] === 'CASH_OUT') && Number(r[0]) >= 700).length
    assert.equal(summary.counts.sent, expected)
    assert.equal(summary.counts.decided, expected)
  })

  it('stops at the first bad row with its line, or skips and counts bad rows', async () => {
    const lines = sampleText.trimEnd().split('\n').slice(0, 201)
    lines[150] = lines[150].replace(/,PAYMENT,|,CASH_IN,|,CASH_OUT,|,TRANSFER,|,DEBIT,/, ',REFUND,')
    const file = writeCsv(lines, 'one-bad.csv')
    const failing = await runCli(['replay', 'paysim', '--file', file, '--tps', '2000', '--json', '--reports-dir', reportsDir], { env })
    assert.equal(failing.code, 1)
    assert.match(failing.stderr, /one-bad\.csv:151: unknown type "REFUND"/)
    const failed = JSON.parse(failing.stdout) as RunSummary
    assert.match(failed.error ?? '', /Bad row at .*one-bad\.csv:151/)
    // The rows before it were replayed, and every one of them decided: none abandoned in flight.
    assert.equal(failed.status, 'failed')
    assert.deepEqual([failed.counts.sent, failed.counts.decided, failed.counts.lost], [149, 149, 0])
    assert.equal(failed.reconciliation.missingCount, 0)
    const skipping = await runCli(['replay', 'paysim', '--file', file, '--tps', '2000', '--on-bad-row', 'skip', '--json', '--reports-dir', reportsDir], { env })
    assert.equal(skipping.code, 0, skipping.stderr)
    const summary = JSON.parse(skipping.stdout) as RunSummary & { diagnostics: { source: { badRowsSkipped: number; badRowExamples: string[] } } }
    assert.equal(summary.counts.sent, 199)
    assert.equal(summary.diagnostics.source.badRowsSkipped, 1)
    assert.match(summary.diagnostics.source.badRowExamples[0], /one-bad\.csv:151: unknown type/)
  })

  it('a row with an unterminated quote is a bad row at its own line: it stops the run (drained), or is skipped', async () => {
    const lines = sampleText.trimEnd().split('\n').slice(0, 201)
    lines[100] = lines[100].replace(/,(PAYMENT|CASH_IN|CASH_OUT|TRANSFER|DEBIT),/, ',"$1,')
    const file = writeCsv(lines, 'open-quote.csv')
    const failing = await runCli(['replay', 'paysim', '--file', file, '--tps', '2000', '--json', '--reports-dir', reportsDir], { env })
    assert.equal(failing.code, 1, failing.stderr)
    assert.match(failing.stderr, /open-quote\.csv:101: a quoted field is not closed/)
    const failed = JSON.parse(failing.stdout) as RunSummary
    assert.deepEqual([failed.status, failed.counts.sent, failed.counts.decided, failed.counts.lost], ['failed', 99, 99, 0])
    const skipping = await runCli(['replay', 'paysim', '--file', file, '--tps', '2000', '--on-bad-row', 'skip', '--json', '--reports-dir', reportsDir], { env })
    assert.equal(skipping.code, 0, skipping.stderr)
    const summary = JSON.parse(skipping.stdout) as RunSummary & { diagnostics: { source: { badRowsSkipped: number; badRowExamples: string[] } } }
    assert.deepEqual([summary.counts.sent, summary.counts.decided, summary.diagnostics.source.badRowsSkipped], [199, 199, 1])
    assert.match(summary.diagnostics.source.badRowExamples[0], /open-quote\.csv:101: a quoted field is not closed/)
  })

  it('a truncated .csv.gz stops the run with the last whole line read; what was sent before is decided', async () => {
    const whole = gzipSync(readFileSync(SAMPLE))
    const file = join(tempDir('paysim'), 'cut.csv.gz')
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)))
    const run = await runCli(['replay', 'paysim', '--file', file, '--tps', '2000', '--json', '--reports-dir', reportsDir], { env })
    assert.equal(run.code, 1, run.stderr)
    const lastLine = Number(/cut\.csv\.gz is truncated: the gzip data ends early, after line (\d+)/.exec(run.stderr)?.[1])
    assert.ok(lastLine > 200 && lastLine < 2_852, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    assert.equal(summary.status, 'failed')
    assert.match(summary.error ?? '', /is truncated/)
    assert.deepEqual([summary.counts.sent, summary.counts.decided, summary.counts.lost], [lastLine - 1, lastLine - 1, 0])
  })

  it('refuses a file that is not PaySim before starting anything, and asks for a pace', async () => {
    const wrong = writeCsv(['a,b,c', '1,2,3'], 'other.csv')
    const run = await runCli(['replay', 'paysim', '--file', wrong, '--tps', '10', '--state-dir', join(tempDir('x'), 'state')])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /other\.csv:1: not a PaySim header: missing columns step, type/)
    const noPace = await runCli(['replay', 'paysim', '--file', SAMPLE])
    assert.equal(noPace.code, 2)
    assert.match(noPace.stderr, /Give the pace: --speed .* or --tps/)
    const missing = await runCli(['replay', 'paysim', '--file', '/nope/PS_log.csv', '--tps', '10'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /Cannot read \/nope\/PS_log\.csv: ENOENT/)
  })
})
