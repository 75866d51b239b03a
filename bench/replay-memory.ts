// Peak memory of `fraudlab replay paysim` over a full-size generated file (6,362,620 rows by
// default): runs the real binary on the embedded stack and samples its resident set size.
//   npm run bench:replay-memory -- [rows] [tps]
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PaysimGenerator } from '../src/dataset/paysim-generator.js'
import { CLI, REPO_ROOT, tempDir } from '../test/helpers.js'

const rows = Number(process.argv[2] ?? 6_362_620)
const tps = Number(process.argv[3] ?? 3_000)
const dir = tempDir('bench-replay')
const file = join(dir, 'paysim.csv')
await new PaysimGenerator(rows, 1).writeTo(file)
console.log(`fraudlab replay memory benchmark: ${rows.toLocaleString('en-US')} generated rows at ${tps}/s, node ${process.versions.node}`)

// The binary itself, as a user runs it (its shebang sets the CLI's memory flags).
const child = spawn(CLI, ['replay', 'paysim', '--file', file, '--tps', String(tps), '--max-lateness', '1h', '--drain-timeout', '15m', '--json', '--reports-dir', join(dir, 'reports')], {
  cwd: REPO_ROOT,
  env: { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH}`, FRAUDLAB_STATE_DIR: join(dir, 'state'), CI: 'true' },
  stdio: ['ignore', 'pipe', 'pipe'],
})
let stdout = ''
let sent = 0
let decided = 0
child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
child.stderr.on('data', (chunk: Buffer) => {
  const match = /([\d,]+)\/[\d,]+ ·.* decided (\d+)/.exec(chunk.toString())
  if (match) {
    sent = Number(match[1].replaceAll(',', ''))
    decided = Number(match[2])
  }
})
const rssMb = () => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024
  } catch {
    return 0
  }
}
let peak = 0
let nextReport = 0
const started = Date.now()
const timer = setInterval(() => {
  const rss = rssMb()
  peak = Math.max(peak, rss)
  if (sent >= nextReport) {
    console.log(`${String(Math.round((Date.now() - started) / 1000)).padStart(6)}s  rows sent ${sent.toLocaleString('en-US').padStart(11)}  decided ${decided.toLocaleString('en-US').padStart(11)}  RSS ${rss.toFixed(0).padStart(5)} MB`)
    nextReport += Math.ceil(rows / 10)
  }
}, 1_000)
const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
clearInterval(timer)
const summary = JSON.parse(stdout) as { counts: Record<string, number>; throughput: Record<string, number>; diagnostics: { ledgerBytes: number; ledgerInFlightSlots: number; memoryMb: { peakRss: number } } }
console.log(`exit ${code}; peak RSS ${peak.toFixed(0)} MB sampled here, ${summary.diagnostics.memoryMb.peakRss} MB seen by the run (target < 300 MB); ledger ${(summary.diagnostics.ledgerBytes / 2 ** 20).toFixed(1)} MB (${summary.diagnostics.ledgerInFlightSlots} in-flight slots)`)
console.log(`sent ${summary.counts.sent}, decided ${summary.counts.decided}, lost ${summary.counts.lost}, dropped ${summary.counts.dropped}, labelled fraud ${summary.counts.labelledFraud}; achieved ${summary.throughput.achievedTps}/s`)
