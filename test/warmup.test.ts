import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { FEATURE_NAMES } from '../src/features/feature-names.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { runCli, tempDir } from './helpers.js'

const historyCount = FEATURE_NAMES.indexOf('account_history_count')

/** A run of `mixed` with the scorer's features logged; the share of transactions scored with no account history. */
async function run(extra: string[]): Promise<{ summary: RunSummary; withoutHistory: number }> {
  const dir = tempDir('warmup')
  const featuresLog = join(dir, 'features.ndjson')
  const cli = await runCli(['simulate', '--scenario', 'mixed', '--tps', '300', '--duration', '4s', '--seed', '21', '--features-log', featuresLog, '--reports-dir', dir, '--json', ...extra], { timeoutMs: 180_000 })
  assert.equal(cli.code, 0, cli.stderr)
  const rows = readFileSync(featuresLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { id: string; features: Array<number | null> })
  return { summary: JSON.parse(cli.stdout) as RunSummary, withoutHistory: rows.filter((row) => row.features[historyCount] === 0).length / rows.length }
}

describe('--warmup', () => {
  it('folds the population’s history into the scorer’s features first: no decision, no effect, and the run is scored warm', async () => {
    const warm = await run(['--warmup', '3d'])
    const warmup = warm.summary.config.warmup as { eventMs: number; transactions: number }
    assert.equal(warmup.eventMs, 3 * 86_400_000)
    assert.ok(warmup.transactions > 30_000, `${warmup.transactions} transactions of history`)
    assert.equal((warm.summary.diagnostics.scorer as { warmupTransactions: number }).warmupTransactions, warmup.transactions, 'the scorer folded every one')
    assert.equal(warm.summary.counts.lost, 0)
    assert.equal(warm.summary.counts.decided, warm.summary.counts.sent, 'only the measured transactions are decided and counted')
    assert.ok(warm.summary.counts.sent < 2_000)
    assert.ok(!warm.summary.reconciliation.notes.some((note) => /started cold/.test(note)))

    const cold = await run([])
    assert.ok(cold.summary.reconciliation.notes.some((note) => /started cold/.test(note)), 'a cold run says so')
    assert.equal(cold.summary.config.warmup, null)
    assert.ok(cold.withoutHistory > 0.3, `cold: ${cold.withoutHistory} of transactions scored with no account history`)
    assert.ok(warm.withoutHistory < 0.05, `warm: ${warm.withoutHistory} of transactions scored with no account history`)
  })
})
