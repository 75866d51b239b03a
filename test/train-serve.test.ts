import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { FeatureEngine } from '../src/features/feature-engine.js'
import { FEATURE_COUNT, FEATURE_NAMES } from '../src/features/feature-names.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import type { Transaction } from '../src/schema/transaction.js'
import { embeddedStackFixture, runCli, tempDir } from './helpers.js'

describe('train/serve parity', () => {
  const stack = embeddedStackFixture()

  it('the scorer computes, during a run, exactly the features training computes offline from the same transactions', async () => {
    const dir = tempDir('train-serve')
    const log = join(dir, 'features.ndjson')
    const count = 3_000
    const run = await runCli(
      ['simulate', '--scenario', 'mixed', '--count', String(count), '--tps', '500', '--seed', '5', '--shards', '1', '--features-log', log, '--reports-dir', dir, '--json'],
      { env: stack.env },
    )
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    const online = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { id: string; features: Array<number | null> })
    assert.equal(online.length, count)

    // Offline: the same scenario and seed give the same transactions, read back through JSON as the
    // stream carries them; the engine sees them in the order the scorer did (PutRecords calls in
    // flight together land in either order, so the stream's order is not the send order).
    const simulator = new ScenarioSimulator(loadScenario('mixed').scenario, { seed: 5, idPrefix: summary.runId })
    const byId = new Map<string, Transaction>()
    for (let i = 0; i < count; i++) {
      const { transaction } = simulator.next()
      byId.set(transaction.id, JSON.parse(JSON.stringify(transaction)) as Transaction)
    }
    const engine = new FeatureEngine()
    const row = new Float64Array(FEATURE_COUNT)
    let nonMissing = 0
    online.forEach(({ id, features }) => {
      const transaction = byId.get(id)
      assert.ok(transaction, `the scorer saw ${id}, which the run never sent`)
      engine.observe(transaction, row)
      for (let f = 0; f < FEATURE_COUNT; f++) {
        const offline = Number.isNaN(row[f]) ? null : row[f]
        if (offline !== null) nonMissing++
        assert.equal(features[f], offline, `${id}: ${FEATURE_NAMES[f]} online ${features[f]}, offline ${offline}`)
      }
    })
    assert.equal(new Set(online.map((o) => o.id)).size, count, 'each transaction scored once')
    assert.ok(nonMissing > count * 20, 'most features are present')
  })
})
