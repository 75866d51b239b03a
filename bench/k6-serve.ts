// Requests per second and latency of `fraudlab serve`'s /v1/score under k6, single transactions and
// batches: runs `fraudlab k6 run` (which starts serve) at each setting and prints k6's figures.
// Each single-transaction rate is also run against a do-nothing server (a fixed "allow" answer,
// no parsing, no model): k6's own ceiling on the same machine, which bounds what serve can show.
//   K6_BINARY=… npm run bench:serve -- [seconds] [tps:batch,…]
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { RunSummary } from '../src/report/summary-schema.js'
import { runCli, tempDir } from '../test/helpers.js'

const seconds = Number(process.argv[2] ?? 15)
const settings = (process.argv[3] ?? '2000:1,3000:1,4000:1,5000:1,20000:10,30000:100').split(',').map((pair) => pair.split(':').map(Number) as [number, number])

const allow = JSON.stringify({ transactionId: 'x', score: 0, verdict: 'allow', reasons: [], modelVersion: 'none' })
const doNothing = createServer((request, response) => {
  request.resume()
  request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(allow))
}).listen(0, '127.0.0.1')
await new Promise((resolve) => doNothing.once('listening', resolve))
const doNothingUrl = `http://127.0.0.1:${(doNothing.address() as AddressInfo).port}`

async function measure(tps: number, batch: number, targetUrl?: string): Promise<string> {
  const reports = tempDir('bench-serve')
  const target = targetUrl ? ['--target-url', targetUrl] : []
  const run = await runCli(['k6', 'run', '--scenario', 'mixed', '--tps', String(tps), '--duration', `${seconds}s`, '--batch', String(batch), '--reports-dir', reports, '--json', ...target], { timeoutMs: (seconds + 300) * 1000 })
  if (!run.stdout.trim()) return `k6 run failed (exit ${run.code}): ${run.stderr.split('\n').slice(-3).join(' ')}`
  const summary = JSON.parse(run.stdout) as RunSummary
  const k6 = JSON.parse(readFileSync(join(reports, summary.runId, 'k6-summary.json'), 'utf8')) as { metrics: Record<string, { rate?: number; count?: number }> }
  const l = summary.latencyMs.endToEnd
  const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}ms`).padStart(10)
  const requests = k6.metrics.http_reqs?.rate ?? 0
  return `${(requests).toFixed(0).padStart(7)} ${String(Math.round(requests * batch)).padStart(7)} ${String(summary.counts.dropped).padStart(8)}${ms(l.p50)}${ms(l.p90)}${ms(l.p99)}${ms(l.max)}`
}

console.log(`fraudlab serve under k6: ${seconds}s per setting, default model, node ${process.versions.node}`)
console.log('offered tx/s  batch  server        req/s    tx/s  dropped       p50       p90       p99       max')
for (const [tps, batch] of settings) {
  console.log(`${String(tps).padStart(12)} ${String(batch).padStart(6)}  fraudlab serve ${await measure(tps, batch)}`)
  if (batch === 1) console.log(`${''.padStart(12)} ${''.padStart(6)}  do-nothing     ${await measure(tps, batch, doNothingUrl)}`)
}
doNothing.close()
