import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { k6Thresholds } from '../src/k6/k6-script.js'
import { TransactionSchema } from '../src/schema/transaction.js'
import { REPO_ROOT, runCli, tempDir } from './helpers.js'

describe('fraudlab k6 script', () => {
  it("maps a scenario's thresholds onto k6 metrics, and lists the ones HTTP cannot measure", () => {
    assert.deepEqual(k6Thresholds(['e2e.p99<20ms', 'e2e.max<=1s', 'recall>0.9', 'precision>=0.8', 'scenario:card-testing.recall>0.95', 'lost==0', 'propagation.p99<5ms']), {
      thresholds: {
        http_req_duration: ['p(99)<20', 'max<=1000'],
        fraud_recall: ['rate>0.9'],
        block_precision: ['rate>=0.8'],
        'fraud_recall{archetype:card-testing}': ['rate>0.95'],
        http_req_failed: ['rate==0'],
      },
      skipped: ['propagation.p99<5ms'],
    })
  })

  it('writes a k6 script with the scenario’s rate and thresholds, and a data file of labelled transactions that sends no label', async () => {
    const dir = tempDir('k6-script')
    const out = join(dir, 'nested', 'mule.js')
    const run = await runCli(['k6', 'script', '--scenario', 'paysim-mule', '--tps', '300', '--duration', '4s', '--seed', '9', '--out', out])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /1200 transactions, [1-9]\d* fraudulent/)
    const script = readFileSync(out, 'utf8')
    const options = JSON.parse(/export const options = ([\s\S]*?)\n\n/.exec(script)![1]) as { scenarios: { score: Record<string, unknown> }; thresholds: Record<string, string[]> }
    assert.deepEqual(options.scenarios.score, { executor: 'constant-arrival-rate', rate: 300, timeUnit: '1s', duration: '4000ms', preAllocatedVUs: 10, maxVUs: 100 })
    assert.deepEqual(options.thresholds, { http_req_failed: ['rate==0'], 'fraud_recall{archetype:paysim-mule}': ['rate>=0'] })
    // Attack detection needs the attack ids the ledger keeps, which HTTP responses do not carry: left out, and said so.
    assert.match(script, /Thresholds with no HTTP meaning, left out: attacksDetected>0\.9/)
    assert.match(script, /open\("\.\/mule\.data\.json"\)/)
    // Only the transaction goes on the wire: the body is built from row.transaction alone.
    assert.match(script, /\[JSON\.stringify\(row\.transaction\), row\.isFraud \? row\.archetype : ''\]/)
    const rows = JSON.parse(readFileSync(join(dir, 'nested', 'mule.data.json'), 'utf8')) as Array<{ transaction: unknown; isFraud: boolean; archetype: string }>
    assert.equal(rows.length, 1200)
    for (const row of rows) assert.ok(TransactionSchema.safeParse(row.transaction).success)
    assert.ok(rows.some((row) => row.isFraud && row.archetype === 'paysim-mule'))
    // Valid JavaScript (k6 runs ES modules): Node parses it without running it.
    copyFileSync(out, join(dir, 'check.mjs'))
    execFileSync(process.execPath, ['--check', join(dir, 'check.mjs')])
  })

  it('a ramping scenario becomes a ramping-arrival-rate executor with the same stages; batches divide the rate', async () => {
    const dir = tempDir('k6-ramp')
    const scenario = join(dir, 'ramp.yaml')
    writeFileSync(scenario, readFileSync(join(REPO_ROOT, 'scenarios', 'velocity-attack.yaml'), 'utf8').replace(/arrival:[\s\S]*?\n\n/, 'arrival:\n  executor: ramping\n  startRate: 100\n  stages:\n    - { duration: 2s, target: 1000 }\n    - { duration: 3s, target: 1000 }\n\n'))
    const out = join(dir, 'ramp.js')
    const run = await runCli(['k6', 'script', '--scenario', scenario, '--out', out, '--batch', '10'])
    assert.equal(run.code, 0, run.stderr)
    const options = JSON.parse(/export const options = ([\s\S]*?)\n\n/.exec(readFileSync(out, 'utf8'))![1]) as { scenarios: { score: Record<string, unknown> } }
    assert.deepEqual(options.scenarios.score, {
      executor: 'ramping-arrival-rate',
      startRate: 10,
      timeUnit: '1s',
      preAllocatedVUs: 10,
      maxVUs: 100,
      stages: [
        { target: 100, duration: '2000ms' },
        { target: 100, duration: '3000ms' },
      ],
    })
    // Each request's body is written before the test, back to back in ramp.bodies; ramp.data.json says where.
    const index = JSON.parse(readFileSync(join(dir, 'ramp.data.json'), 'utf8')) as Array<[number, number, string[]]>
    const bodies = readFileSync(join(dir, 'ramp.bodies'))
    let expectedOffset = 0
    let frauds = 0
    for (const [offset, length, labels] of index) {
      assert.equal(offset, expectedOffset, 'bodies are back to back')
      expectedOffset += length
      const body = JSON.parse(bodies.subarray(offset, offset + length).toString('utf8')) as { transactions: unknown[] }
      assert.equal(body.transactions.length, 10)
      assert.equal(labels.length, 10)
      for (const transaction of body.transactions) assert.ok(TransactionSchema.safeParse(transaction).success)
      frauds += labels.filter((label) => label !== '').length
    }
    assert.equal(expectedOffset, bodies.length)
    assert.ok(index.length >= 400, `${index.length} requests`)
    assert.ok(frauds > 0, 'the labels name the frauds')
    assert.match(readFileSync(out, 'utf8'), /from 'k6\/experimental\/fs'/)
  })
})
