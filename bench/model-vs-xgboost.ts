// The trainer against XGBoost (from PyPI, in a virtualenv this benchmark makes; fraudlab itself
// never runs Python) on one feature matrix: the `mixed` scenario's transactions through the feature
// engine, the latest 20% by event time held out. Both train the same number of rounds with the
// same hyper-parameters and evaluate validation PR-AUC every round; PR-AUC of both is computed here
// by the same function. XGBoost runs with 1 thread and with every core; fraudlab's trainer uses one.
//   npm run bench:xgboost -- [rows=1000000] [rounds=200]
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
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

started = performance.now()
const ours = await trainGbt(matrix, params)
const ourSeconds = (performance.now() - started) / 1000
const validationRows = Uint32Array.from({ length: matrix.rows }, (_, i) => i).filter((i) => matrix.validation[i] === 1)
const ourPrAuc = prAuc(ours.validationScores, matrix.labels, validationRows)
const phases = Object.entries(ours.phaseMs).map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`).join(', ')
console.log(`fraudlab phases: ${phases}`)

const labelsValid = Uint8Array.from(validationRows, (r) => matrix.labels[r])
const results: Array<{ name: string; seconds: number; prAuc: number }> = [{ name: 'fraudlab (1 thread)', seconds: ourSeconds, prAuc: ourPrAuc }]
for (const threads of [1, 0]) {
  const output = JSON.parse(execFileSync(py, [join(REPO_ROOT, 'bench', 'xgboost_reference.py'), dir, String(threads)], { encoding: 'utf8' }).trim().split('\n').at(-1)!)
  const predictions = new Float32Array(readFileSync(join(dir, 'xgb-valid.f32')).buffer.slice(0))
  results.push({ name: `xgboost ${output.xgboost} (${threads === 0 ? 'all cores' : '1 thread'})`, seconds: output.trainSeconds, prAuc: prAuc(predictions, labelsValid) })
}
console.log(`${'trainer'.padEnd(28)} ${'train s'.padStart(8)} ${'PR-AUC'.padStart(8)} ${'time ratio'.padStart(11)} ${'ΔPR-AUC'.padStart(9)}`)
for (const r of results) {
  console.log(`${r.name.padEnd(28)} ${r.seconds.toFixed(1).padStart(8)} ${r.prAuc.toFixed(4).padStart(8)} ${(ourSeconds / r.seconds).toFixed(2).padStart(11)} ${(ourPrAuc - r.prAuc).toFixed(4).padStart(9)}`)
}
console.log('time ratio = fraudlab seconds / that trainer’s seconds; ΔPR-AUC = fraudlab − that trainer (targets: ratio ≤ 2, |Δ| ≤ 0.005)')
