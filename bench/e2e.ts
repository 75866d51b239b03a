// End-to-end benchmark on the embedded stack: achieved throughput and latency at several offered
// rates, with the per-stage breakdown that shows where the time goes. Each rate gets a fresh stack
// with enough shards for Kinesis' 1,000 records/s per shard (at most 80% used, at least 4).
// Kinesis' per-shard limits are on, as in a run; KINESIS_LIMITS=off lifts them (and polls every 50 ms).
//   npm run bench:e2e -- [durationSeconds] [rate,rate,...] [scenario]
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { planRun } from '../src/run/run-plan.js'
import { simulate } from '../src/run/simulate-run.js'
import { tempDir } from '../test/helpers.js'

const durationMs = Number(process.argv[2] ?? 15) * 1000
const rates = (process.argv[3] ?? '1000,2000,5000').split(',').map(Number)
const scenario = process.argv[4] ?? 'mixed'
const f = (value: number | null) => (value !== null && Number.isFinite(value) ? value.toFixed(1) : '—')

const kinesisLimits = process.env.KINESIS_LIMITS !== 'off'
console.log(`fraudlab e2e benchmark: scenario ${scenario} on the embedded stack, ${durationMs / 1000}s per rate, Kinesis limits ${kinesisLimits ? 'on' : 'off'}, node ${process.versions.node}`)
console.log('offered shards  achieved  decided/s  ratio  dropped  lost  e2e p50   p90    p99    max | p99 by stage: lag  put  propagation  scoring  actions  collection')
for (const tps of rates) {
  const shards = Math.max(4, Math.ceil(tps / 800))
  const { summary } = await simulate({
    target: 'embedded',
    plan: planRun(scenario, { tps, durationMs, seed: 1 }),
    prefix: 'bench-',
    model: process.env.MODEL ?? DEFAULT_MODEL_PATH,
    yes: false,
    stateDir: tempDir('bench-state'),
    reportsDir: tempDir('bench-reports'),
    shards,
    kinesisLimits,
    maxLatenessMs: 1_000,
    pollIntervalMs: kinesisLimits ? 200 : 50,
    checkpointIntervalMs: 1_000,
    drainTimeoutMs: 120_000,
  })
  const e = summary.latencyMs.endToEnd
  const s = summary.latencyMs.stages
  console.log(
    [
      String(tps).padStart(7),
      String(shards).padStart(6),
      f(summary.throughput.achievedTps).padStart(9),
      f(summary.throughput.decidedTps).padStart(10),
      (summary.throughput.achievedTps / tps).toFixed(3).padStart(6),
      String(summary.counts.dropped).padStart(8),
      String(summary.counts.lost).padStart(5),
      f(e.p50).padStart(8),
      f(e.p90).padStart(6),
      f(e.p99).padStart(6),
      f(e.max).padStart(6),
      '|',
      [s.generatorLag, s.put, s.propagation, s.scoring, s.actions, s.collection].map((l) => f(l.p99)).join('  '),
    ].join(' '),
  )
}
