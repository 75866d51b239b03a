// The trainer against XGBoost (from PyPI, in a virtualenv this benchmark makes; fraudlab itself
// never runs Python) on one feature matrix: the `mixed` scenario's transactions through the feature
// engine, the latest 20% by event time held out. Both train the same number of rounds with the
// same hyper-parameters and evaluate validation PR-AUC every round; PR-AUC of both is computed here
// by the same function. Both run on 1 thread and on every core; fraudlab's trees must be identical on both.
//   npm run bench:xgboost -- [rows=1000000] [rounds=200]
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { FeatureEngine } from '../src/features/feature-engine.js'
import { FEATURE_COUNT, FEATURE_NAMES } from '../src/features/feature-names.js'
import { FeatureMatrixBuilder } from '../src/model/feature-matrix.js'
import { DEFAULT_TRAIN_OPTIONS, trainGbt } from '../src/model/gbt-trainer.js'
import { prAuc } from '../src/metrics/score-ranking.js'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import { REPO_ROOT, tempDir } from '../test/helpers.js'

const rows = Number(process.argv[2] ?? 1_000_000)
const rounds = Number(process.argv[3] ?? 200)
const params = { ...DEFAULT_TRAIN_OPTIONS, rounds, earlyStoppingRounds: 0 }

function python(): string {
  if (process.env.XGBOOST_PYTHON) return process.env.XGBOOST_PYTHON
  const venv = join(REPO_ROOT, '.cache', 'xgboost-venv')
  const bin = join(venv, 'bin', 'python')
  if (!existsSync(bin)) {
    console.log(`Creating ${venv} with xgboost and numpy from PyPI…`)
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' })
    execFileSync(bin, ['-m', 'pip', 'install', '--quiet', 'xgboost', 'numpy'], { stdio: 'inherit' })
  }
  return bin
}

const py = python()
const { scenario } = loadScenario('mixed')
const simulator = new ScenarioSimulator(scenario, { seed: 7 })
const engine = new FeatureEngine()
const builder = new FeatureMatrixBuilder(FEATURE_NAMES, rows)
const features = new Float64Array(FEATURE_COUNT)
let started = performance.now()
for (let i = 0; i < rows; i++) {
  const { transaction, label } = simulator.next()
  engine.observe(transaction, features)
  builder.add(features, 0, label.isFraud ? 1 : 0, transaction.eventTime, label.archetype)
}
const matrix = builder.build([{ fromRow: 0, toRow: rows, validationShare: 0.2 }])
const featureSeconds = (performance.now() - started) / 1000
const positives = matrix.labels.reduce((sum, y) => sum + y, 0)
console.log(`fraudlab trainer vs XGBoost: ${rows.toLocaleString('en-US')} rows of mixed (${positives} fraud) × ${FEATURE_COUNT} features, ${rounds} rounds, node ${process.versions.node}`)
console.log(`features: ${featureSeconds.toFixed(1)} s (${Math.round(rows / featureSeconds).toLocaleString('en-US')} rows/s through the feature engine, generation included)`)

const dir = tempDir('bench-xgboost')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'values.f32'), matrix.values)
writeFileSync(join(dir, 'labels.u8'), matrix.labels)
writeFileSync(join(dir, 'validation.u8'), matrix.validation)
writeFileSync(join(dir, 'meta.json'), JSON.stringify({ rows: matrix.rows, columns: matrix.columns, params }))

const validationRows = Uint32Array.from({ length: matrix.rows }, (_, i) => i).filter((i) => matrix.validation[i] === 1)
const cores = availableParallelism()
const ours: Array<{ threads: number; seconds: number; prAuc: number; trees: string; phases: string }> = []
for (const threads of [1, cores]) {
  started = performance.now()
  const result = await trainGbt(matrix, { ...params, threads })
  const seconds = (performance.now() - started) / 1000
  const trees = createHash('sha256')
  for (const tree of result.model.trees) for (const array of Object.values(tree)) trees.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength))
  const phases = Object.entries(result.phaseMs).map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`).join(', ')
  ours.push({ threads, seconds, prAuc: prAuc(result.validationScores, matrix.labels, validationRows), trees: trees.digest('hex'), phases })
}

const labelsValid = Uint8Array.from(validationRows, (r) => matrix.labels[r])
const results: Array<{ name: string; threads: number; seconds: number; prAuc: number }> = ours.map((r) => ({ name: 'fraudlab', threads: r.threads, seconds: r.seconds, prAuc: r.prAuc }))
for (const threads of [1, cores]) {
  const output = JSON.parse(execFileSync(py, [join(REPO_ROOT, 'bench', 'xgboost_reference.py'), dir, String(threads)], { encoding: 'utf8' }).trim().split('\n').at(-1)!)
  const predictions = new Float32Array(readFileSync(join(dir, 'xgb-valid.f32')).buffer.slice(0))
  results.push({ name: `xgboost ${output.xgboost}`, threads, seconds: output.trainSeconds, prAuc: prAuc(predictions, labelsValid) })
}
console.log(`${'trainer'.padEnd(16)} ${'threads'.padStart(7)} ${'train s'.padStart(8)} ${'PR-AUC'.padStart(8)}`)
for (const r of results) console.log(`${r.name.padEnd(16)} ${String(r.threads).padStart(7)} ${r.seconds.toFixed(1).padStart(8)} ${r.prAuc.toFixed(4).padStart(8)}`)
for (const r of ours) console.log(`fraudlab phases, ${r.threads} thread${r.threads > 1 ? 's' : ''}: ${r.phases}`)
const [ourOne, ourAll, xgbOne, xgbAll] = results
console.log(`time ratio fraudlab / xgboost: ${(ourAll.seconds / xgbAll.seconds).toFixed(2)} on ${cores} threads (target ≤ 2), ${(ourOne.seconds / xgbOne.seconds).toFixed(2)} on 1`)
console.log(`ΔPR-AUC fraudlab − xgboost: ${(ourAll.prAuc - xgbAll.prAuc).toFixed(4)} (target |Δ| ≤ 0.005); fraudlab's own speed-up on ${cores} threads: ${(ourOne.seconds / ourAll.seconds).toFixed(2)}×`)
console.log(`fraudlab's trees on 1 and ${cores} threads: ${ours[0].trees === ours[1].trees ? 'identical' : 'DIFFERENT'} (sha256 ${ours[0].trees.slice(0, 12)})`)
