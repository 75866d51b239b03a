// `fraudlab serve`'s /v1/score under k6, single transactions and batches. Single transactions are
// measured with the two sides apart: the server pinned to one core and k6 to another (taskset, when
// there are two cores and taskset is there), so neither's CPU shows up in the other's figures.
// Batches are measured with both free to use every core, as a server would (serve evaluates the
// model on a thread of its own when it has two cores). Beside each
// single-transaction rate, a do-nothing Fastify server (the same route and JSON body parsing, a
// fixed answer) measured the same way gives the HTTP stack's own cost and k6's own ceiling.
// Server CPU per request comes from the server process' own clock (/proc), not from wall time, so
// the ratio holds on a noisy machine.
//   K6_BINARY=… npm run bench:serve -- [seconds] [tps:batch,…]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { processCpuUs } from './process-stats.js'
import type { RunSummary } from '../src/report/summary-schema.js'
import { REPO_ROOT, runCli, tempDir } from '../test/helpers.js'

const seconds = Number(process.argv[2] ?? 15)
const settings = (process.argv[3] ?? '2000:1,5000:1,6000:1,1000:100').split(',').map((pair) => pair.split(':').map(Number) as [number, number])

const canPin = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0
const SERVER_CORE = '0'
const K6_CORE = '1'
const pinned = (core: string, command: string[]) => (canPin ? ['taskset', '-c', core, ...command] : command)

/** A server process (pinned when asked and possible) and the URL it printed. */
async function startServer(command: string[], urlPattern: RegExp, pin: boolean): Promise<{ child: ChildProcess; url: string }> {
  const [file, ...args] = pin ? pinned(SERVER_CORE, command) : command
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT })
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const errors = createInterface({ input: child.stderr! })
    const look = (line: string) => {
      const match = urlPattern.exec(line)
      if (match) resolve(match[1])
    }
    lines.on('line', look)
    errors.on('line', look)
    child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited (${code}) before it was ready`)))
  })
  return { child, url }
}

interface Row {
  requests: number
  requestsPerSecond: number
  transactionsPerSecond: number
  dropped: number
  latency: RunSummary['latencyMs']['endToEnd']
  cpuMicrosPerRequest: number
}

async function measure(server: { child: ChildProcess; url: string }, tps: number, batch: number, pin: boolean): Promise<Row | string> {
  const reports = tempDir('bench-serve')
  const cpuBefore = processCpuUs(server.child.pid!) ?? NaN
  // k6 is fraudlab's child: it inherits the CLI's core.
  const run = await runCli(['k6', 'run', '--scenario', 'mixed', '--tps', String(tps), '--duration', `${seconds}s`, '--batch', String(batch), '--reports-dir', reports, '--json', '--target-url', server.url], {
    timeoutMs: (seconds + 300) * 1000,
    wrap: pin && canPin ? ['taskset', '-c', K6_CORE] : [],
  })
  const cpu = (processCpuUs(server.child.pid!) ?? NaN) - cpuBefore
  if (!run.stdout.trim()) return `k6 run failed (exit ${run.code}): ${run.stderr.split('\n').slice(-3).join(' ')}`
  const summary = JSON.parse(run.stdout) as RunSummary
  const k6 = JSON.parse(readFileSync(join(reports, summary.runId, 'k6-summary.json'), 'utf8')) as { metrics: Record<string, { rate?: number; count?: number }> }
  const requests = k6.metrics.http_reqs?.count ?? 0
  const requestsPerSecond = k6.metrics.http_reqs?.rate ?? 0
  return { requests, requestsPerSecond, transactionsPerSecond: requestsPerSecond * batch, dropped: summary.counts.dropped, latency: summary.latencyMs.endToEnd, cpuMicrosPerRequest: requests ? cpu / requests : NaN }
}

function format(row: Row | string): string {
  if (typeof row === 'string') return row
  const ms = (v: number | null) => (v === null ? '—' : v.toFixed(2)).padStart(8)
  const l = row.latency
  return `${row.requestsPerSecond.toFixed(0).padStart(7)} ${row.transactionsPerSecond.toFixed(0).padStart(7)} ${String(row.dropped).padStart(7)} ${ms(l.p50)} ${ms(l.p90)} ${ms(l.p99)} ${ms(l.max)} ${row.cpuMicrosPerRequest.toFixed(0).padStart(9)}`
}

const node = process.execPath
const serveCommand = [node, join(REPO_ROOT, 'bin', 'run.js'), 'serve', '--port', '0', '--model', join(REPO_ROOT, 'models', 'default.onnx')]
const ready = /ready on (http:\/\/\S+)/
const fraudlab = await startServer(serveCommand, ready, true)
const fraudlabFree = settings.some(([, batch]) => batch > 1) ? await startServer(serveCommand, ready, false) : undefined
const doNothing = await startServer([node, join(REPO_ROOT, 'dist', 'bench', 'do-nothing-fastify.js')], /^(http:\/\/\S+)$/, true)

console.log(`fraudlab serve under k6: ${seconds}s per setting, default model, node ${process.versions.node}; single transactions: ${canPin ? `server on core ${SERVER_CORE}, k6 on core ${K6_CORE} (taskset)` : 'NOT pinned (needs taskset and two cores): the figures mix both sides'}; batches: server and k6 on every core`)
console.log('offered tx/s  batch  server          req/s    tx/s dropped   p50 ms   p90 ms   p99 ms   max ms  CPU µs/req')
// CPU µs/req is the server process' CPU (every thread) over the requests k6 completed.
const ratios: string[] = []
try {
  for (const [tps, batch] of settings) {
    const ours = batch === 1 ? await measure(fraudlab, tps, batch, true) : await measure(fraudlabFree!, tps, batch, false)
    console.log(`${String(tps).padStart(12)} ${String(batch).padStart(6)}  fraudlab serve ${format(ours)}`)
    if (batch !== 1) continue
    const baseline = await measure(doNothing, tps, batch, true)
    console.log(`${''.padStart(12)} ${''.padStart(6)}  do-nothing     ${format(baseline)}`)
    if (typeof ours !== 'string' && typeof baseline !== 'string') ratios.push(`${tps}/s: ${(ours.cpuMicrosPerRequest / baseline.cpuMicrosPerRequest).toFixed(2)}`)
  }
} finally {
  for (const server of [fraudlab, fraudlabFree, doNothing]) server?.child.kill('SIGTERM')
}
console.log(`server CPU per single request, fraudlab serve / do-nothing Fastify: ${ratios.join(', ')} (target ≤ 1.3)`)
console.log('dropped: requests k6 could not start on schedule (its VUs were all busy); latency is from the scheduled start.')
