// What the live view costs the pipeline: the real binary at a high rate, in a real terminal
// (tmux), with the view on and with --no-ui, alternating; prints achieved and decided
// throughput of each and their ratios.
//   npm run bench:live-view -- [tps] [seconds] [pairs]
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunSummary } from '../src/report/summary-schema.js'
import { CLI, REPO_ROOT, tempDir } from '../test/helpers.js'

const tps = Number(process.argv[2] ?? 5_000)
const seconds = Number(process.argv[3] ?? 20)
const pairs = Number(process.argv[4] ?? 2)

function runInTerminal(ui: boolean): RunSummary {
  const dir = tempDir(`bench-live-${ui ? 'ui' : 'plain'}`)
  const reports = join(dir, 'reports')
  const session = `fraudlab-bench-${process.pid}`
  const command = [
    `cd ${REPO_ROOT}`,
    `env -u CI FRAUDLAB_STATE_DIR=${join(dir, 'state')} ${CLI} simulate --tps ${tps} --duration ${seconds}s --reports-dir ${reports}${ui ? '' : ' --no-ui'} > ${join(dir, 'stdout.txt')}`,
    `tmux -L ${session} wait-for -S ${session}-done`,
  ].join('; ')
  execFileSync('tmux', ['-L', session, 'new-session', '-d', '-s', session, '-x', '160', '-y', '45', command])
  execFileSync('tmux', ['-L', session, 'wait-for', `${session}-done`], { timeout: (seconds + 180) * 1000 })
  // The session ends with its command.
  const [run] = readdirSync(reports).filter((name) => !name.endsWith('.json'))
  return JSON.parse(readFileSync(join(reports, run, 'summary.json'), 'utf8')) as RunSummary
}

console.log(`live view overhead: simulate --tps ${tps} --duration ${seconds}s in tmux, ${pairs} pairs, node ${process.versions.node}`)
console.log('mode       achieved/s  decided/s  late  dropped  e2e p99')
const results: Record<'ui' | 'plain', RunSummary[]> = { ui: [], plain: [] }
for (let i = 0; i < pairs; i++) {
  for (const ui of i % 2 === 0 ? [false, true] : [true, false]) {
    const summary = runInTerminal(ui)
    results[ui ? 'ui' : 'plain'].push(summary)
    const t = summary.throughput
    console.log(`${(ui ? 'view' : '--no-ui').padEnd(10)} ${String(t.achievedTps).padStart(10)} ${String(t.decidedTps).padStart(10)} ${String(summary.counts.late).padStart(5)} ${String(summary.counts.dropped).padStart(8)} ${String(summary.latencyMs.endToEnd.p99).padStart(8)}`)
  }
}
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
const ratio = (pick: (s: RunSummary) => number) => mean(results.ui.map(pick)) / mean(results.plain.map(pick))
console.log(`view / --no-ui: achieved ${ratio((s) => s.throughput.achievedTps).toFixed(3)}, decided ${ratio((s) => s.throughput.decidedTps).toFixed(3)}`)
