import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunSummary } from '../src/report/summary-schema.js'
import { CLI, REPO_ROOT, tempDir } from './helpers.js'
import { describeNeeding } from './optional-suite.js'

const TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].find((path) => existsSync(path))

// A server of its own (-L), so the test neither sees nor disturbs anyone else's tmux.
const SOCKET = `fraudlab-test-${process.pid}`

function tmux(...args: string[]): string {
  return execFileSync(TMUX as string, ['-L', SOCKET, ...args], { encoding: 'utf8' })
}

async function waitForPane(session: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  let pane = ''
  while (Date.now() < deadline) {
    pane = tmux('capture-pane', '-p', '-t', session)
    if (pattern.test(pane)) return pane
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  assert.fail(`the pane never matched ${pattern}:\n${pane}`)
}

const sentOf = (pane: string) => Number((/([\d,]+)\/[\d,]+ sent/.exec(pane)?.[1] ?? 'NaN').replaceAll(',', ''))

describeNeeding('the live view in a real terminal (tmux)', TMUX ? false : 'tmux is not installed (apt-get install tmux; .ci/run installs it)', ({ it, before, after }) => {
  it('appears, updates, pauses on p, and q ends the run with the report written', async () => {
    const dir = tempDir('tmux')
    const session = `fraudlab-test-${process.pid}`
    const reports = join(dir, 'reports')
    // CI=true turns the view off, so the command inside the terminal runs without it.
    const command = `cd ${REPO_ROOT} && env -u CI FRAUDLAB_STATE_DIR=${join(dir, 'state')} ${process.execPath} ${CLI} simulate --tps 200 --duration 120s --reports-dir ${reports} > ${join(dir, 'stdout.txt')}; echo $? > ${join(dir, 'exit-code')}; tmux -L ${SOCKET} wait-for -S ${session}-done`
    tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '45', command)
    const done = new Promise<void>((resolve, reject) => {
      const waiter = spawn(TMUX as string, ['-L', SOCKET, 'wait-for', `${session}-done`])
      waiter.on('exit', () => resolve())
      waiter.on('error', reject)
    })
    try {
      const first = await waitForPane(session, /^(?=[\s\S]*Throughput \/s)(?=[\s\S]*Latency)(?=[\s\S]*Decisions)(?=[\s\S]*[1-9][\d,]*\/[\d,]+ sent)/, 90_000)
      assert.match(first, /fraudlab simulate · mixed/)
      assert.match(first, /q stop \(drain, reconcile, report\) · p pause · \? help/)
      const before = sentOf(first)
      const later = await waitForPane(session, /[\d,]+\/[\d,]+ sent/, 5_000).then(async () => {
        await new Promise((resolve) => setTimeout(resolve, 2_000))
        return tmux('capture-pane', '-p', '-t', session)
      })
      assert.ok(sentOf(later) > before, `the view updates (${before} → ${sentOf(later)} sent)`)

      tmux('send-keys', '-t', session, 'p')
      const paused = await waitForPane(session, /PAUSED/, 5_000)
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      const stillPaused = tmux('capture-pane', '-p', '-t', session)
      assert.equal(sentOf(stillPaused), sentOf(paused), 'nothing is sent while paused')
      tmux('send-keys', '-t', session, 'p')
      await waitForPane(session, /\bload\b/, 5_000)

      tmux('send-keys', '-t', session, 'q')
      await waitForPane(session, /stopping|Reconciliation/, 10_000).catch(() => undefined)
      let giveUp: NodeJS.Timeout | undefined
      const tooLong = new Promise((_, reject) => (giveUp = setTimeout(() => reject(new Error('the run did not end after q')), 90_000)))
      // Cleared once the run ends, so the test process does not wait the 90 s out.
      await Promise.race([done, tooLong]).finally(() => clearTimeout(giveUp))
    } finally {
      try {
        tmux('kill-session', '-t', session)
      } catch {
        // already ended with its command
      }
    }
    assert.equal(readFileSync(join(dir, 'exit-code'), 'utf8').trim(), '130', 'stopped by q: interrupted, report written')
    const stdout = readFileSync(join(dir, 'stdout.txt'), 'utf8')
    assert.match(stdout, /fraudlab simulate · run \S+ · interrupted/)
    assert.match(stdout, /Reconciliation {3}OK/)
    assert.doesNotMatch(stdout, /Throughput \/s|\u001b\[/, 'the view never wrote to stdout')
    const [run] = readdirSync(reports)
    const summary = JSON.parse(readFileSync(join(reports, run, 'summary.json'), 'utf8')) as RunSummary
    assert.equal(summary.status, 'interrupted')
    assert.equal(summary.counts.lost, 0)
    assert.ok(summary.counts.sent > 0 && summary.counts.sent < 200 * 120, `stopped early (${summary.counts.sent} sent)`)
    for (const file of ['summary.json', 'report.html', 'junit.xml', 'summary.md', 'decisions.ndjson.gz', 'histograms.json']) assert.ok(existsSync(join(reports, run, file)), file)
  })
})
