// Requests per second and latency of `fraudlab serve`'s /v1/score under k6, single transactions and
// batches: runs `fraudlab k6 run` (which starts serve) at each setting and prints k6's figures.
//   K6_BINARY=… npm run bench:serve -- [seconds] [tps:batch,…]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunSummary } from '../src/report/summary-schema.js'
import { runCli, tempDir } from '../test/helpers.js'

const seconds = Number(process.argv[2] ?? 15)
const settings = (process.argv[3] ?? '2000:1,5000:1,20000:10,50000:100').split(',').map((pair) => pair.split(':').map(Number) as [number, number])

console.log(`fraudlab serve under k6: ${seconds}s per setting, default model, node ${process.versions.node}`)
console.log('offered tx/s  batch   req/s    tx/s  dropped       p50       p90       p99       max')
for (const [tps, batch] of settings) {
  const reports = tempDir('bench-serve')
  const run = await runCli(['k6', 'run', '--scenario', 'mixed', '--tps', String(tps), '--duration', `${seconds}s`, '--batch', String(batch), '--reports-dir', reports, '--json'], { timeoutMs: (seconds + 120) * 1000 })
  if (!run.stdout.trim()) {
    console.log(`${tps}: k6 run failed (exit ${run.code}): ${run.stderr.split('\n').slice(-3).join(' ')}`)
    continue
  }
  const summary = JSON.parse(run.stdout) as RunSummary
  const k6 = JSON.parse(readFileSync(join(reports, summary.runId, 'k6-summary.json'), 'utf8')) as { metrics: Record<string, { rate?: number; count?: number }> }
  const l = summary.latencyMs.endToEnd
  const ms = (v: number | null) => (v === null ? "—" : `${v.toFixed(2)}ms`).padStart(10)
  console.log(
    `${String(tps).padStart(12)} ${String(batch).padStart(6)} ${(k6.metrics.http_reqs?.rate ?? 0).toFixed(0).padStart(7)} ${String(summary.throughput.achievedTps).padStart(7)} ${String(summary.counts.dropped).padStart(8)}${ms(l.p50)}${ms(l.p90)}${ms(l.p99)}${ms(l.max)}`,
  )
}
