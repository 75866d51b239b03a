import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { planRun } from '../src/run/run-plan.js'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { simulate, type SimulateOptions } from '../src/run/simulate-run.js'
import { isOurEmulator } from '../src/stack/state-file.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { CLI, REPO_ROOT, tempDir } from './helpers.js'
import { execFileSync, spawn } from 'node:child_process'

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
    let killedAt = NaN
    let emulatorPids: number[] = []
    const load: Array<['started' | 'ended', number]> = []
    const { summary } = await simulate(
      options({
        // No checkpoint before the kill, so the restarted scorer must replay what was already decided;
        // it takes the dead one's leases once they expire.
        checkpointIntervalMs: 60_000,
        leaseFailoverMs: 2_000,
        hooks: {
          onTargetReady: (target) => (emulatorPids = target.ownedStack!.services.map((s) => s.pid)),
          onScorerStarted: (scorers) => {
            if (killedPid) return
            setTimeout(() => {
              killedPid = scorers.pids[0]
              killedAt = Date.now()
              process.kill(killedPid!, 'SIGKILL')
            }, 2_000)
          },
          // The load's own window (what bench:e2e measures CPU over): once each, around 2,000 transactions at 400/s.
          onLoadStarted: () => load.push(['started', Date.now()]),
          onLoadEnded: () => load.push(['ended', Date.now()]),
        },
      }),
    )
    assert.ok(killedPid)
    assert.deepEqual(load.map(([phase]) => phase), ['started', 'ended'], 'a restarted scorer does not restart the load')
    const [[, startedAt], [, endedAt]] = load
    assert.ok(endedAt - startedAt >= 4_500 && endedAt - startedAt < 15_000, `the load lasted ${endedAt - startedAt} ms for 5 s of schedule`)
    assert.ok(killedAt > startedAt && killedAt < endedAt, 'the scorer died during the load')
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

  /**
   * Starts a 60 s run, sends `signal` once load flows, and checks it stopped like Ctrl-C: to the
   * process alone (kill(1), a supervisor), or to its whole process group, as a terminal does.
   */
  async function interruptedRun(signal: NodeJS.Signals, node = process.execPath, to: 'process' | 'group' = 'process'): Promise<void> {
    const reportsDir = tempDir('reports')
    const child = spawn(node, [CLI, 'simulate', '--tps', '200', '--duration', '60s', '--json', '--reports-dir', reportsDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, FRAUDLAB_STATE_DIR: tempDir('state') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: to === 'group',
    })
    let stdout = ''
    let stderr = ''
    let sent = false
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
      if (sent || !/sent [1-9]\d*\//.test(stderr)) return
      sent = true
      if (to === 'group') process.kill(-child.pid!, signal)
      else child.kill(signal)
    })
    const started = Date.now()
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    assert.ok(Date.now() - started < 40_000, 'stopped long before the 60 s of load')
    assert.equal(code, 130, `interrupted, report written: ${stderr}`)
    assert.match(stderr, /Stopping the load; draining/)
    const summary = JSON.parse(stdout) as RunSummary
    assert.equal(summary.status, 'interrupted')
    assert.ok(summary.counts.sent > 0 && summary.counts.sent < 12_000)
    assert.equal(summary.counts.decided, summary.counts.sent)
    assert.equal(summary.counts.lost, 0)
    assert.ok(existsSync(join(reportsDir, summary.runId, 'summary.json')))
    assert.match(readFileSync(join(reportsDir, summary.runId, 'summary.md'), 'utf8'), /: ⚠️ interrupted \(reconciled\)/, 'a stopped run is not shown as a pass')
  }

  it('Ctrl-C stops the load, drains, reconciles and still writes the report', () => interruptedRun('SIGINT'))

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} (docker stop, a cancelled CI job, a closed terminal) stops like Ctrl-C`, () => interruptedRun(signal))
  }

  // Under a system node older than 22, bin/run.js re-runs itself under the bundled Node 24 as a child.
  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path) && Number(execFileSync(path, ['-p', 'process.versions.node']).toString().split('.')[0]) < 22)
  it('SIGINT to the Node-version wrapper alone reaches the run, once', { skip: oldNode ? false : 'no system node older than 22 here' }, () => interruptedRun('SIGINT', oldNode))

  // Without the live view (--json, CI=true, --no-ui) Ctrl-C is a signal to the whole process group: the run's own
  // emulators and scorer get it too, and the wrapper's forwarded copy arrives beside the terminal's.
  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    it(`${signal} to the whole process group, as a terminal sends it, still drains (through the wrapper where the system node is old)`, () => interruptedRun(signal, oldNode ?? process.execPath, 'group'))
  }
})
