// Peak memory of `fraudlab replay paysim` over a full-size generated file (6,362,620 rows by
// default): runs the real binary on the embedded stack and samples the resident set size of every
// process it starts (the CLI, the scorer, each emulator), found under it in /proc.
//   npm run bench:replay-memory -- [rows] [tps]
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
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
const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
/** Every process under the CLI, by role, with its resident memory now (MB); the role's largest if several. */
function rssByRole(): Map<string, number> {
  const parentOf = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = read(`/proc/${name}/stat`)
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (ppid) parentOf.set(Number(name), ppid)
  }
  const underCli = (pid: number): boolean => pid === child.pid || (parentOf.has(pid) && underCli(parentOf.get(pid)!))
  const roles = new Map<string, number>()
  for (const pid of parentOf.keys()) {
    if (!underCli(pid)) continue
    const cmdline = read(`/proc/${pid}/cmdline`).split('\0').join(' ')
    const role = /emulator-host\.js (\w+)/.exec(cmdline)?.[1] ?? (cmdline.includes('scorer-child') ? 'scorer' : cmdline.includes('run.js') ? 'cli' : undefined)
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`))?.[1] ?? 0) / 1024
    if (role) roles.set(role, Math.max(roles.get(role) ?? 0, rss))
  }
  return roles
}
const ROLES = ['cli', 'scorer', 'kinesis', 'dynamodb', 'sns']
const peaks = new Map<string, number>()
let nextReport = 0
const started = Date.now()
const timer = setInterval(() => {
  const now = rssByRole()
  for (const [role, rss] of now) peaks.set(role, Math.max(peaks.get(role) ?? 0, rss))
  if (sent >= nextReport) {
    const memory = ROLES.map((role) => `${role} ${(now.get(role) ?? 0).toFixed(0).padStart(4)}`).join('  ')
    console.log(`${String(Math.round((Date.now() - started) / 1000)).padStart(6)}s  rows sent ${sent.toLocaleString('en-US').padStart(11)}  decided ${decided.toLocaleString('en-US').padStart(11)}  RSS MB: ${memory}`)
    nextReport += Math.ceil(rows / 10)
  }
}, 1_000)
const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
clearInterval(timer)
const summary = JSON.parse(stdout) as { counts: Record<string, number>; throughput: Record<string, number>; diagnostics: { ledgerBytes: number; ledgerInFlightSlots: number; memoryMb: { peakRss: number } } }
console.log(`exit ${code}; peak RSS MB: ${ROLES.map((role) => `${role} ${(peaks.get(role) ?? 0).toFixed(0)}`).join(', ')}; the CLI saw ${summary.diagnostics.memoryMb.peakRss} MB itself; ledger ${(summary.diagnostics.ledgerBytes / 2 ** 20).toFixed(1)} MB (${summary.diagnostics.ledgerInFlightSlots} in-flight slots)`)
console.log(`sent ${summary.counts.sent}, decided ${summary.counts.decided}, lost ${summary.counts.lost}, dropped ${summary.counts.dropped}, labelled fraud ${summary.counts.labelledFraud}; achieved ${summary.throughput.achievedTps}/s`)
