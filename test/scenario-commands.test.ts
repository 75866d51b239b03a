import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { CSV_COLUMNS, parseNdjsonLine } from '../src/export/labelled-export.js'
import { TransactionSchema } from '../src/schema/transaction.js'
import { REPO_ROOT, runCli, tempDir } from './helpers.js'

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('fraudlab generate', () => {
  it('writes labelled NDJSON that reads back into valid transactions, identical for the same seed', async () => {
    const dir = tempDir('generate')
    const first = join(dir, 'a.ndjson')
    const second = join(dir, 'b.ndjson')
    const run = await runCli(['generate', '--scenario', 'mixed', '--count', '20000', '--out', first, '--seed', '5', '--json'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /generate mixed \[=+\] 100% 20,000\/20,000/)
    const result = JSON.parse(run.stdout) as { written: number; fraud: number }
    assert.equal(result.written, 20_000)
    const lines = readFileSync(first, 'utf8').trimEnd().split('\n')
    assert.equal(lines.length, 20_000)
    let fraud = 0
    for (const line of lines) {
      const { transaction, label } = parseNdjsonLine(line)
      assert.ok(TransactionSchema.safeParse(transaction).success, line)
      if (label.isFraud) fraud++
    }
    assert.equal(fraud, result.fraud)
    assert.ok(fraud > 0)
    assert.equal((await runCli(['generate', '--scenario', 'mixed', '--count', '20000', '--out', second, '--seed', '5'])).code, 0)
    assert.equal(sha(first), sha(second))
  })

  it('writes CSV with a header and one row per transaction', async () => {
    const out = join(tempDir('generate'), 'card.csv')
    const run = await runCli(['generate', '--scenario', 'card-testing', '--count', '3000', '--out', out])
    assert.equal(run.code, 0, run.stderr)
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n')
    assert.equal(rows[0], CSV_COLUMNS.join(','))
    assert.equal(rows.length, 3001)
    assert.ok(rows.slice(1).every((row) => row.split(',').length === CSV_COLUMNS.length))
    assert.ok(rows.some((row) => row.endsWith(',1,card-testing,card-testing-0')), 'fraud rows carry their labels')
  })

  it('refuses a missing count, an unknown format and an unknown scenario, writing nothing', async () => {
    const dir = tempDir('generate')
    const noCount = await runCli(['generate', '--scenario', 'mixed', '--out', join(dir, 'x.ndjson')])
    assert.equal(noCount.code, 2)
    assert.match(noCount.stderr, /--count is required/)
    const badFormat = await runCli(['generate', '--scenario', 'mixed', '--count', '10', '--out', join(dir, 'x.parquet')])
    assert.equal(badFormat.code, 2)
    assert.match(badFormat.stderr, /Cannot tell the format of .*x\.parquet/)
    const unknown = await runCli(['generate', '--scenario', 'nope', '--count', '10', '--out', join(dir, 'y.ndjson')])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /Unknown scenario "nope"\. Known scenarios:/)
    assert.equal(existsSync(join(dir, 'y.ndjson')), false)
  })
})

describe('fraudlab scenarios', () => {
  it('list shows every shipped scenario with its archetypes', async () => {
    const run = await runCli(['scenarios', 'list', '--json'])
    const rows = JSON.parse(run.stdout) as Array<{ name: string; archetypes: string[] }>
    assert.deepEqual(rows.map((r) => r.name).sort(), readdirSync(join(REPO_ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort())
    assert.deepEqual(rows.find((r) => r.name === 'mixed')?.archetypes.length, 6)
    assert.deepEqual(rows.find((r) => r.name === 'drift')?.archetypes.length, 6)
    assert.deepEqual(rows.find((r) => r.name === 'baseline')?.archetypes, [])
  })

  it('show prints the file and the run it plans', async () => {
    const run = await runCli(['scenarios', 'show', 'velocity-attack'])
    assert.equal(run.code, 0)
    assert.match(run.stdout, /archetype: velocity-attack/)
    assert.match(run.stdout, /Expected {5}4000 transactions, 200\.0\/s on average/)
  })

  it('validate accepts a good file and reports every problem of a bad one with file, line and field', async () => {
    assert.equal((await runCli(['scenarios', 'validate', 'scenarios/mixed.yaml'])).code, 0)
    const file = join(tempDir('validate'), 'two-problems.yaml')
    writeFileSync(file, 'name: two\npopulation:\n  customers: 10\n  merchants: 0\n  segments:\n    - name: all\n      share: 1\n      amount: { median: 10 }\n      transactionsPerDay: 2\n      colour: blue\n')
    const run = await runCli(['scenarios', 'validate', file])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /2 problems in .*two-problems\.yaml/)
    assert.match(run.stderr, /two-problems\.yaml:4:14: population\.merchants: merchants must be greater than 0/)
    assert.match(run.stderr, /two-problems\.yaml:10:7: population\.segments\[0\]\.colour: unknown key "colour"/)
  })

  it('simulate --dry-run prints the plan and starts nothing', async () => {
    const state = join(tempDir('dry'), 'state')
    const run = await runCli(['simulate', '--scenario', 'mixed', '--time-scale', '43200', '--duration', '60s', '--dry-run', '--state-dir', state])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /Arrival {6}event-time ×43200 for 1m/)
    assert.match(run.stdout, /covering 30\.00 days of event time/)
    assert.equal(existsSync(state), false)
  })
})
