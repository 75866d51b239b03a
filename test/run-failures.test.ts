import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { planRun } from '../src/run/run-plan.js'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { simulate, type SimulateOptions } from '../src/run/simulate-run.js'
import { isOurEmulator } from '../src/stack/state-file.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { CLI, REPO_ROOT, tempDir } from './helpers.js'
import { spawn } from 'node:child_process'

function options(overrides: Partial<SimulateOptions>): SimulateOptions {
  return {
    target: 'embedded',
    prefix: 'fraudlab-',
    yes: false,
    stateDir: tempDir('state'),
    reportsDir: tempDir('reports'),
    plan: planRun('paysim-mule', { tps: 400, count: 2_000, seed: 21 }),
    shards: 2,
    maxLatenessMs: 1_000,
    pollIntervalMs: 50,
    checkpointIntervalMs: 1_000,
    drainTimeoutMs: 30_000,
    model: DEFAULT_MODEL_PATH,
    ...overrides,
  }
}

describe('a run under failure', () => {
  it('reconciles after the scorer is killed mid-run: nothing lost, replayed decisions removed and counted', async () => {
    let killedPid: number | undefined
    let emulatorPids: number[] = []
    const { summary } = await simulate(
      options({
        // No checkpoint before the kill, so the restarted scorer must replay what was already decided.
        checkpointIntervalMs: 60_000,
        hooks: {
          onTargetReady: (target) => (emulatorPids = target.ownedStack!.services.map((s) => s.pid)),
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
    assert.equal(emulatorPids.length, 3)
    for (const pid of emulatorPids) assert.equal(isOurEmulator(pid), false, 'the stack the run started for itself is stopped')
  })

  it('ends with a clear error and a partial report, not a hang, when an emulator dies mid-run', async () => {
    const reportsDir = tempDir('reports')
    const started = Date.now()
    const { summary, reportDir } = await simulate(
      options({
        reportsDir,
        plan: planRun('paysim-mule', { tps: 200, durationMs: 60_000, seed: 21 }),
        hooks: {
          onTargetReady: (target) => {
            const kinesis = target.ownedStack!.services.find((s) => s.service === 'kinesis')!
            setTimeout(() => process.kill(kinesis.pid, 'SIGKILL'), 2_500)
          },
        },
      }),
    )
    assert.ok(Date.now() - started < 40_000, 'the run stopped long before its 60 s of load')
    assert.equal(summary.status, 'failed')
    assert.match(summary.error ?? '', /fraudlab-kinesis \(pid \d+\) exited \(SIGKILL\) mid-run/)
    assert.ok(summary.counts.sent > 0 && summary.counts.sent < 12_000)
    assert.equal(summary.reconciliation.ok, false)
    assert.ok(existsSync(join(reportDir, 'summary.json')))
  })

  it('Ctrl-C stops the load, drains, reconciles and still writes the report', async () => {
    const reportsDir = tempDir('reports')
    const child = spawn(process.execPath, [CLI, 'simulate', '--tps', '200', '--duration', '60s', '--json', '--reports-dir', reportsDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, FRAUDLAB_STATE_DIR: tempDir('state') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
      // interrupt once load is flowing
      if (/sent [1-9]\d*\//.test(stderr) && !child.killed) child.kill('SIGINT')
    })
    const started = Date.now()
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    assert.ok(Date.now() - started < 40_000, 'stopped long before the 60 s of load')
    assert.equal(code, 0, stderr)
    assert.match(stderr, /Stopping the load; draining/)
    const summary = JSON.parse(stdout) as RunSummary
    assert.equal(summary.status, 'interrupted')
    assert.ok(summary.counts.sent > 0 && summary.counts.sent < 12_000)
    assert.equal(summary.counts.decided, summary.counts.sent)
    assert.equal(summary.counts.lost, 0)
    assert.ok(existsSync(join(reportsDir, summary.runId, 'summary.json')))
  })
})
