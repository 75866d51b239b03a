// Throughput of the scorer's model step on one core: feature rows → float32 input → onnxruntime-node
// (one intra-op thread) → verdicts and reasons, batch by batch as the scorer does per GetRecords
// call. The feature engine's own rate is measured apart. Medians of several repetitions (this
// machine's timings vary by ±10%).
//   npm run bench:inference -- [model=models/default.onnx] [rows=200000] [repetitions=5]
import { resolve } from 'node:path'
import { FeatureEngine } from '../src/features/feature-engine.js'
import { FEATURE_COUNT } from '../src/features/feature-names.js'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import type { Transaction } from '../src/schema/transaction.js'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { OnnxScoreModel } from '../src/decision/onnx-score-model.js'

const modelPath = process.argv[2] ? resolve(process.argv[2]) : DEFAULT_MODEL_PATH
const rows = Number(process.argv[3] ?? 200_000)
const repetitions = Number(process.argv[4] ?? 5)

const simulator = new ScenarioSimulator(loadScenario('mixed').scenario, { seed: 3 })
const transactions: Transaction[] = Array.from({ length: rows }, () => simulator.next().transaction)
const features = new Float64Array(rows * FEATURE_COUNT)
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
const k = (value: number) => `${Math.round(value / 1000).toLocaleString('en-US')}k`

const engineRates: number[] = []
for (let r = 0; r < repetitions; r++) {
  const engine = new FeatureEngine()
  const started = performance.now()
  for (let i = 0; i < rows; i++) engine.observe(transactions[i], features, i * FEATURE_COUNT)
  engineRates.push(rows / ((performance.now() - started) / 1000))
}

const scorer = await OnnxScoreModel.load(modelPath)
console.log(`fraudlab model step: ${scorer.modelVersion}, ${rows.toLocaleString('en-US')} rows of mixed, ${repetitions} repetitions, node ${process.versions.node}`)
console.log(`feature engine            ${k(median(engineRates)).padStart(7)} rows/s (median; ${k(Math.min(...engineRates))}–${k(Math.max(...engineRates))})`)
for (const batch of [1, 15, 100, 1_000, 10_000]) {
  const rates: number[] = []
  let blocks = 0
  for (let r = 0; r < repetitions; r++) {
    blocks = 0
    const started = performance.now()
    for (let from = 0; from < rows; from += batch) {
      const to = Math.min(rows, from + batch)
      const scores = await scorer.scoreBatch(transactions.slice(from, to), features.subarray(from * FEATURE_COUNT, to * FEATURE_COUNT))
      for (const s of scores) if (s.verdict === 'block') blocks++
    }
    rates.push(rows / ((performance.now() - started) / 1000))
  }
  console.log(`model step, batch ${String(batch).padStart(6)} ${k(median(rates)).padStart(7)} rows/s (median; ${k(Math.min(...rates))}–${k(Math.max(...rates))}), ${blocks} blocks with reasons`)
}
await scorer.close()
console.log('target: ≥ 200k rows/s batched on one core')
