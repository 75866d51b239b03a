// Live against offline, with and without --warmup: a live run of a scenario, then the same seed
// scored offline (one feature engine over the same history and the same transactions, the same
// model), so that the live figures can be checked against what the model gives on that traffic.
//   npm run bench:warm-start -- [tps] [durationSeconds] [warmupDays] [seed]
import { DecisionStep } from '../src/decision/decision-step.js'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { accuracyFrom } from '../src/metrics/accuracy.js'
import { instantiatePlan, planRun } from '../src/run/run-plan.js'
import { simulate } from '../src/run/simulate-run.js'
import { FEATURE_COUNT } from '../src/features/feature-names.js'
import { tempDir } from '../test/helpers.js'

const tps = Number(process.argv[2] ?? 1000)
const durationMs = Number(process.argv[3] ?? 60) * 1000
const warmupDays = Number(process.argv[4] ?? 7)
const seed = Number(process.argv[5] ?? 1234)
const model = process.env.MODEL ?? DEFAULT_MODEL_PATH
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—')

/** Offline: the plan's transactions through one decision step, history folded first; accuracy over the measured ones. */
async function offline(warmupMs: number, measured: number) {
  const plan = planRun('mixed', { tps, durationMs, seed })
  const { source } = instantiatePlan(plan, 'offline', warmupMs)
  const step = await DecisionStep.load(model)
  const row = new Float64Array(FEATURE_COUNT)
  const until = Date.parse(plan.scenario.startTime) + warmupMs
  while (source.peek().transaction.eventTime < until) step.features.observe(source.next().transaction, row)
  const matrix = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 }
  for (let done = 0; done < measured; done += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, measured - done) }, () => source.next())
    const scores = await step.decide(batch.map((b) => b.transaction))
    scores.forEach((score, i) => {
      const fraud = batch[i].label.isFraud
      const blocked = score.verdict === 'block'
      if (blocked) fraud ? matrix.truePositives++ : matrix.falsePositives++
      else fraud ? matrix.falseNegatives++ : matrix.trueNegatives++
    })
  }
  await step.close()
  return accuracyFrom(matrix)
}

console.log(`fraudlab warm-start benchmark: mixed, seed ${seed}, ${tps}/s for ${durationMs / 1000}s, model ${model}`)
console.log('warmup   sent   live precision  recall | offline precision  recall | difference precision  recall')
for (const days of [0, warmupDays]) {
  const warmupMs = days * 86_400_000
  const { summary } = await simulate({
    plan: planRun('mixed', { tps, durationMs, seed }),
    warmupMs,
    target: 'embedded',
    prefix: 'bench-',
    model,
    yes: false,
    stateDir: tempDir('bench-state'),
    reportsDir: tempDir('bench-reports'),
    maxLatenessMs: 1_000,
    pollIntervalMs: 200,
    checkpointIntervalMs: 1_000,
    drainTimeoutMs: 60_000,
  })
  if (summary.counts.lost || summary.counts.dropped) console.log(`  (lost ${summary.counts.lost}, dropped ${summary.counts.dropped}: the live set is not the offline one)`)
  const off = await offline(warmupMs, summary.counts.sent)
  const live = { precision: summary.accuracy.precision ?? Number.NaN, recall: summary.accuracy.recall ?? Number.NaN }
  console.log(
    `${`${days}d`.padStart(6)} ${String(summary.counts.sent).padStart(6)}  ${f(live.precision).padStart(14)}  ${f(live.recall).padStart(6)} | ${f(off.precision).padStart(17)}  ${f(off.recall).padStart(6)} | ${f(live.precision - off.precision).padStart(20)}  ${f(live.recall - off.recall).padStart(6)}`,
  )
}
