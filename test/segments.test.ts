import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { describe, it } from 'node:test'
import { CreateTableCommand } from '@aws-sdk/client-dynamodb'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { inSegment } from '../src/load/segment.js'
import { mergeReports } from '../src/report/merge.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { planRun } from '../src/run/run-plan.js'
import { simulate } from '../src/run/simulate-run.js'
import { resourceNames } from '../src/stack/resource-names.js'
import { acquireRunLock } from '../src/stack/run-lock.js'
import { CLI, embeddedStackFixture, REPO_ROOT, tempDir, type StackFixture } from './helpers.js'

describe('a run split across hosts (--segment i/n)', () => {
  it('places every account in exactly one segment, about evenly, and the halves of 1/2 are the quarters 1/4 and 2/4', () => {
    const accounts = Array.from({ length: 20_000 }, (_, i) => `C${1_000_000_000 + i * 7}`)
    for (const count of [2, 3, 4]) {
      const sizes = Array.from({ length: count }, () => 0)
      for (const account of accounts) {
        const owners = sizes.map((_, i) => inSegment({ index: i + 1, count }, account))
        assert.equal(owners.filter(Boolean).length, 1, `${account} in one of ${count} segments`)
        sizes[owners.indexOf(true)]++
      }
      for (const size of sizes) assert.ok(Math.abs(size - accounts.length / count) < accounts.length * 0.02, `${count} segments: ${sizes.join('/')}`)
    }
    for (const account of accounts) {
      assert.equal(inSegment({ index: 1, count: 2 }, account), inSegment({ index: 1, count: 4 }, account) || inSegment({ index: 2, count: 4 }, account))
    }
  })

  describe('on one shared stack', () => {
    const stack = embeddedStackFixture()

    it('the segments of one run hold the lock together and start at one instant; another run is refused until the last is gone', async () => {
      const names = resourceNames('lock-')
      await stack.clients.dynamodb.send(
        new CreateTableCommand({ TableName: names.leaseTable, AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
      )
      const where = 'the test stack'
      const first = await acquireRunLock(stack.clients.dynamodb, names, { runId: 'one', command: 'simulate', where, segmentGroup: 'g' })
      const other = acquireRunLock(stack.clients.dynamodb, names, { runId: 'other', command: 'simulate', where })
      await assert.rejects(other, /in use by the segments of a run split across hosts/)
      await assert.rejects(acquireRunLock(stack.clients.dynamodb, names, { runId: 'stranger', command: 'simulate', where, segmentGroup: 'h' }), /in use by the segments/)
      const signal = new AbortController().signal
      const waited: number[] = []
      const firstStart = first.segmentsStartAt(2, { signal, onWait: (joined) => waited.push(joined) })
      await new Promise((resolve) => setTimeout(resolve, 300))
      const second = await acquireRunLock(stack.clients.dynamodb, names, { runId: 'two', command: 'simulate', where, segmentGroup: 'g' })
      const [a, b] = await Promise.all([firstStart, second.segmentsStartAt(2, { signal })])
      assert.equal(a, b, 'one start for both')
      assert.ok(waited.length > 0 && waited.every((joined) => joined === 1), 'the first waited for the second')
      await first.release()
      await assert.rejects(acquireRunLock(stack.clients.dynamodb, names, { runId: 'other', command: 'simulate', where }), /in use/, 'one segment still runs')
      await second.release()
      const after = await acquireRunLock(stack.clients.dynamodb, names, { runId: 'other', command: 'simulate', where })
      await after.release()
    })

    it('segments 1/2 and 2/2 merged send what the whole run sends, with the same confusion matrix (one scorer for all, --scorer external)', async () => {
      const plan = () => planRun('mixed', { tps: 300, durationMs: 8_000, seed: 21 })
      const run = (reportsDir: string, segment?: { index: number; count: number }) =>
        simulate({
          target: 'embedded',
          prefix: 'fraudlab-',
          yes: false,
          stateDir: stack.stateDir,
          reportsDir,
          plan: plan(),
          scorer: 'external',
          segment,
          maxLatenessMs: 2_000,
          pollIntervalMs: 200,
          checkpointIntervalMs: 1_000,
          drainTimeoutMs: 30_000,
          model: DEFAULT_MODEL_PATH,
        })

      // The same scorer, started afresh (empty feature state) for each side, reads for both.
      let scorer = await startScorer(stack)
      const whole = (await run(tempDir('whole'))).summary
      await stopScorer(scorer)
      scorer = await startScorer(stack)
      const reportsDir = tempDir('segments')
      const parts = await Promise.all([run(reportsDir, { index: 1, count: 2 }), run(reportsDir, { index: 2, count: 2 })])
      await stopScorer(scorer)
      const merged = (await mergeReports(parts.map((part) => part.reportDir), tempDir('merged'), 'merged')).summary

      const [one, two] = parts.map((part) => part.summary)
      for (const part of [one, two]) {
        assert.equal(part.status, 'completed', part.error)
        assert.equal(part.counts.lost, 0)
        assert.ok(part.counts.sent > whole.counts.sent * 0.3, `each segment sent its share (${part.counts.sent} of ${whole.counts.sent})`)
        assert.match(part.reconciliation.notes.join('\n'), /segment \d\/2 of a run split by account across 2 hosts/)
      }
      assert.equal(whole.counts.dropped, 0)
      assert.equal(one.counts.sent + two.counts.sent, whole.counts.sent)
      assert.equal(merged.counts.sent, whole.counts.sent)
      assert.deepEqual(confusion(merged), confusion(whole))
      assert.ok(whole.accuracy.truePositives > 0, 'the run has frauds caught, so the matrix can tell')
      assert.equal(merged.attacks.total, whole.attacks.total, "an attack whose accounts fell in both segments counts once")
      assert.ok(Math.abs(one.timeline.points[0].at - two.timeline.points[0].at) < 1_000, 'both loads started together')
    })
  })
})

function confusion(summary: RunSummary) {
  const { truePositives, falsePositives, trueNegatives, falseNegatives } = summary.accuracy
  return { truePositives, falsePositives, trueNegatives, falseNegatives }
}

async function startScorer(stack: StackFixture): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'scorer', '--checkpoint-interval', '200ms'], { cwd: REPO_ROOT, env: { ...process.env, ...stack.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk
      if (stderr.includes('Ctrl-C to stop')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`the scorer exited (${code}): ${stderr}`)))
  })
  return child
}

async function stopScorer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGINT')
  await exited
}
