// Cost of the collector's bookkeeping per decision: the run ledger alone, then with the decision
// log (decisions.ndjson.gz) streaming to disk, and the end-of-run summary (PR-AUC, per-archetype
// PR-AUC, timelines) over the same run. Single process, one core.
//   npm run bench:ledger -- [transactions]
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { DecisionLog } from '../src/collector/decision-log.js'
import { RunLedger } from '../src/collector/run-ledger.js'
import { buildRunSummary, ledgerHistograms } from '../src/report/run-summary.js'
import { encodeHistograms } from '../src/report/histogram-file.js'
import type { Decision } from '../src/schema/decision.js'
import { tempDir } from '../test/helpers.js'

const count = Number(process.argv[2] ?? 1_000_000)
const origin = Date.now()
const normal = { isFraud: false, archetype: 'normal', attackId: '' }

async function play(withLog: boolean): Promise<{ ms: number; ledger: RunLedger }> {
  const path = join(tempDir('bench-ledger'), 'decisions.ndjson.gz')
  const ledger = new RunLedger('bench', count, 1 << 16, origin, withLog ? { decisionLog: new DecisionLog(path) } : {})
  const decision: Decision = { transactionId: '', score: 0, verdict: 'allow', reasons: [], modelVersion: 'bench', scorerId: 's', timestamps: { arrivedAt: 0, fetchedAt: 0, scoredAt: 0, actedAt: 0 } }
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    // Decisions arrive in GetRecords pages; between pages the event loop runs (and gzip drains).
    if (i % 2_000 === 0) await new Promise((resolve) => setImmediate(resolve))
    const at = origin + i * 0.1 // 10,000 a second
    const fraud = i % 50 === 0
    ledger.recordEmitted(i, at, fraud ? { isFraud: true, archetype: 'card-testing', attackId: `a${i >> 8}` } : normal)
    ledger.recordSent(i, at + 2)
    ledger.recordAcked(i, at + 5)
    decision.transactionId = ledger.transactionId(i)
    decision.score = fraud ? 0.9 : (i % 997) / 2000
    decision.verdict = decision.score >= 0.5 ? 'block' : 'allow'
    decision.timestamps = { arrivedAt: Math.round(at + 5), fetchedAt: at + 30, scoredAt: at + 31, actedAt: at + 32 }
    ledger.recordDecision(decision, at + 60)
  }
  return { ms: performance.now() - started, ledger }
}

async function main() {
  await play(false) // warm-up
  const bare = await play(false)
  const rssBare = process.memoryUsage().rss
  const logged = await play(true)
  const log = logged.ledger.decisionLog as DecisionLog
  const rssAfterLoad = process.memoryUsage().rss
  const closeStarted = performance.now()
  await log.close()
  const closeMs = performance.now() - closeStarted
  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5)
  const summaryStarted = performance.now()
  const summary = buildRunSummary({
    ledger: logged.ledger, command: 'simulate', status: 'completed', startedAtMs: origin, endedAtMs: origin + count / 10, loadStartedAtMs: origin, loadEndedAtMs: origin + count / 10,
    offeredTps: 10_000, offeredWindowMs: count / 10, late: 0, config: {}, versions: {}, model: null, blockListItems: null, alertsObserved: false,
    throttled: 0, retried: 0, scorerRestarts: 0, invalidRecords: 0, notes: [], files: {}, diagnostics: {},
  })
  const histograms = encodeHistograms(ledgerHistograms(logged.ledger))
  const summaryMs = performance.now() - summaryStarted
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  clearInterval(sampler)
  const perDecision = (ms: number) => ((ms * 1e6) / count).toFixed(0)
  console.log(`ledger benchmark: ${count.toLocaleString('en-US')} transactions, node ${process.versions.node}`)
  console.log(`  ledger alone          ${bare.ms.toFixed(0).padStart(6)} ms  ${perDecision(bare.ms).padStart(5)} ns/transaction`)
  console.log(`  ledger + decision log ${logged.ms.toFixed(0).padStart(6)} ms  ${perDecision(logged.ms).padStart(5)} ns/transaction  (×${(logged.ms / bare.ms).toFixed(2)}; gzip finishes ${closeMs.toFixed(0)} ms later, off the main thread)`)
  console.log(`  at 10,000 decisions/s the bookkeeping takes ${((logged.ms / count) * 10_000 / 10).toFixed(1)}% of one core`)
  console.log(`  decision log ${(statSync(log.path).size / 2 ** 20).toFixed(1)} MB (${(statSync(log.path).size / count).toFixed(1)} bytes/transaction)`)
  console.log(`  end-of-run summary (PR-AUC, per archetype, timeline, attacks) + histograms: ${summaryMs.toFixed(0)} ms; PR-AUC ${summary.accuracy.prAuc}, ${summary.timeline.points.length} timeline buckets of ${summary.timeline.bucketMs} ms, histograms.json ${(histograms.length / 1024).toFixed(0)} KB`)
  console.log(`  memory: ledger ${(logged.ledger.memoryBytes / 2 ** 20).toFixed(1)} MB; RSS ${(rssBare / 2 ** 20).toFixed(0)} MB after the ledger alone, ${(rssAfterLoad / 2 ** 20).toFixed(0)} MB after the ledger with the log (heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB, array buffers ${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(0)} MB), ${(rssBefore / 2 ** 20).toFixed(0)} MB before the summary, at least ${(rssPeak / 2 ** 20).toFixed(0)} MB during it (sampled at the end; the summary runs synchronously)`)
}

await main()
