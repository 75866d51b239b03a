import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { simulate, type SimulateOptions } from '../src/run/simulate-run.js'
import { tempDir } from './helpers.js'

function options(overrides: Partial<SimulateOptions>): SimulateOptions {
  return {
    target: 'embedded',
    prefix: 'fraudlab-',
    yes: false,
    stateDir: tempDir('state'),
    reportsDir: tempDir('reports'),
    tps: 400,
    count: 2_000,
    seed: 21,
    shards: 2,
    fraudShare: 0.01,
    pollIntervalMs: 50,
    checkpointIntervalMs: 1_000,
    drainTimeoutMs: 30_000,
    ...overrides,
  }
}

describe('a run under failure', () => {
  it('reconciles after the scorer is killed mid-run: nothing lost, replayed decisions removed and counted', async () => {
    let killedPid: number | undefined
    const { summary } = await simulate(
      options({
        // No checkpoint before the kill, so the restarted scorer must replay what was already decided.
        checkpointIntervalMs: 60_000,
        hooks: {
          onScorerStarted: (supervisor) => {
            if (killedPid) return
            setTimeout(() => {
              killedPid = supervisor.pid
              process.kill(killedPid!, 'SIGKILL')
            }, 2_000)
          },
        },
      }),
    )
    assert.ok(killedPid)
    assert.equal(summary.status, 'completed')
    assert.equal(summary.counts.scorerRestarts, 1)
    assert.equal(summary.counts.sent, 2_000)
    assert.equal(summary.counts.decided, 2_000)
    assert.equal(summary.counts.lost, 0)
    assert.ok(summary.counts.duplicated > 0, 'the replay produced duplicate decisions, which were removed')
    assert.equal(summary.counts.blockListItems, summary.counts.blocked, 'conditional writes kept the BlockList exact')
    assert.equal(summary.counts.alertsReceived, summary.counts.blocked)
    assert.equal(summary.reconciliation.ok, true)
  })

  it('ends with a clear error and a partial report, not a hang, when an emulator dies mid-run', async () => {
    const reportsDir = tempDir('reports')
    const started = Date.now()
    const { summary, reportDir } = await simulate(
      options({
        reportsDir,
        tps: 200,
        count: undefined,
        durationMs: 60_000,
        hooks: {
          onTargetReady: (target) => {
            const kinesalite = target.ownedStack!.services.find((s) => s.implementation === 'kinesalite')!
            setTimeout(() => process.kill(kinesalite.pid, 'SIGKILL'), 2_500)
          },
        },
      }),
    )
    assert.ok(Date.now() - started < 40_000, 'the run stopped long before its 60 s of load')
    assert.equal(summary.status, 'failed')
    assert.match(summary.error ?? '', /kinesalite \(pid \d+\) exited \(SIGKILL\) mid-run/)
    assert.ok(summary.counts.sent > 0 && summary.counts.sent < 12_000)
    assert.equal(summary.reconciliation.ok, false)
    assert.ok(existsSync(join(reportDir, 'summary.json')))
  })
})
