import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { findK6 } from '../src/k6/find-k6.js'
import type { RunSummary } from '../src/report/summary-schema.js'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { startScoringServer } from '../src/serve/http-server.js'
import { ScoringCore } from '../src/serve/scoring-core.js'
import { runCli, tempDir } from './helpers.js'

function k6OrUndefined(): string | undefined {
  try {
    return findK6()
  } catch {
    return undefined
  }
}
const K6 = k6OrUndefined()

describe('fraudlab k6 run', () => {
  it('without k6, says how to install it (exit 2, no stack trace)', async () => {
    const missing = await runCli(['k6', 'run', '--scenario', 'paysim-mule', '--tps', '10', '--duration', '1s'], { env: { K6_BINARY: '/nonexistent/k6' } })
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /K6_BINARY is \/nonexistent\/k6, which is not an executable file/)
    assert.match(missing.stderr, /go install go\.k6\.io\/k6/)
    const none = await runCli(['k6', 'run', '--scenario', 'paysim-mule'], { env: { K6_BINARY: '', PATH: '/nonexistent' } })
    assert.equal(none.code, 2)
    assert.match(none.stderr, /k6 was not found/)
  })

  for (const batch of [1, 10]) {
    it(`runs a generated k6 test (${batch === 1 ? 'single transactions' : `batches of ${batch}`}) against fraudlab serve; the report has the server’s request count and its precision/recall`, { skip: K6 ? false : 'k6 is not installed (set K6_BINARY; .ci/run builds it with go install)' }, async () => {
      // The server records every decision it returns: the independent recount.
      // Every decision, repeats included (k6 cycles through the data when it runs one iteration more than there are rows).
      const decisions: Array<[string, string]> = []
      let requests = 0
      const server = await startScoringServer({
        model: DEFAULT_MODEL_PATH,
        host: '127.0.0.1',
        port: 0,
        load: async (model) => {
          const core = await ScoringCore.load(model)
          const score = core.score.bind(core)
          core.score = async (transactions) => {
            requests++
            const scored = await score(transactions)
            for (const d of scored) decisions.push([d.transactionId, d.verdict])
            return scored
          }
          return core
        },
      })
      await server.ready
      const reports = tempDir('k6-run')
      try {
        const run = await runCli(['k6', 'run', '--scenario', 'paysim-mule', '--tps', '200', '--duration', '4s', '--seed', '5', '--batch', String(batch), '--target-url', server.url, '--reports-dir', reports, '--json', '--threshold', 'e2e.p99<5s'], {
          env: { K6_BINARY: K6 as string },
          timeoutMs: 120_000,
        })
        assert.equal(run.code, 0, run.stderr)
        const summary = JSON.parse(run.stdout) as RunSummary
        assert.equal(summary.command, 'k6')
        assert.equal(summary.latencyMs.endToEnd.count, requests, 'k6 counted the requests the server answered')
        assert.equal(decisions.length, requests * batch)
        assert.equal(summary.counts.decided, decisions.length)
        assert.ok(decisions.length >= 700, `${decisions.length} decided`)
        // Precision and recall recomputed from the server's own decisions and the labels in the data file.
        const label = labelsInData(join(reports, summary.runId), batch)
        const recount = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 }
        for (const [id, verdict] of decisions) {
          const fraud = label.get(id)
          assert.notEqual(fraud, undefined, `${id} is in the data file`)
          if (fraud && verdict === 'block') recount.truePositives++
          else if (fraud) recount.falseNegatives++
          else if (verdict === 'block') recount.falsePositives++
          else recount.trueNegatives++
        }
        assert.ok(recount.truePositives > 0, JSON.stringify(recount))
        assert.deepEqual(
          { truePositives: summary.accuracy.truePositives, falsePositives: summary.accuracy.falsePositives, trueNegatives: summary.accuracy.trueNegatives, falseNegatives: summary.accuracy.falseNegatives },
          recount,
        )
        assert.deepEqual(summary.thresholds.map((t) => [t.expression, t.ok]), [['lost==0', true], ['e2e.p99<5s', true]])
        for (const file of ['summary.json', 'report.html', 'junit.xml', 'summary.md', 'k6-script.js', 'k6-summary.json']) readFileSync(join(reports, summary.runId, file))
      } finally {
        await server.close()
      }
    })
  }
})

/** Each transaction's label by id, from the data k6 ran: its rows, or with batches its requests' bodies and their labels. */
function labelsInData(folder: string, batch: number): Map<string, boolean> {
  const data = JSON.parse(readFileSync(join(folder, 'k6-script.data.json'), 'utf8'))
  if (batch === 1) return new Map((data as Array<{ transaction: { id: string }; isFraud: boolean }>).map((row) => [row.transaction.id, row.isFraud]))
  const bodies = readFileSync(join(folder, 'k6-script.bodies'))
  const label = new Map<string, boolean>()
  for (const [offset, length, labels] of data as Array<[number, number, string[]]>) {
    const { transactions } = JSON.parse(bodies.subarray(offset, offset + length).toString('utf8')) as { transactions: Array<{ id: string }> }
    transactions.forEach((transaction, i) => label.set(transaction.id, labels[i] !== ''))
  }
  return label
}
