import { createHash } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { FEATURE_ENGINE_VERSION } from '../features/feature-names.js'
import { fraudlabVersion } from '../util/versions.js'
import { rowsWhere, type FeatureMatrix } from './feature-matrix.js'
import { trainGbt, type RoundReport, type TrainOptions, type TrainResult } from './gbt-trainer.js'
import { accuracyFrom } from '../metrics/accuracy.js'
import { chooseThreshold, confusionAt, prAuc } from '../metrics/score-ranking.js'
import { cardPathFor, MODEL_CARD_SCHEMA_VERSION, type ModelCard } from './model-card.js'
import { MODEL_INPUT, MODEL_OUTPUT, treeEnsembleToOnnx } from './onnx/tree-ensemble-onnx.js'
import { buildTrainingSet, type TrainingSource } from './training-set.js'
import { makeDirectory } from '../util/writable-path.js'

export interface TrainModelOptions {
  data: string[]
  out: string
  params: Partial<TrainOptions>
  validationShare: number
  /** Files held out whole for validation (another seed or population) instead of each file's latest share. */
  validationData?: string[]
  /** Choose the block threshold for this precision (highest recall reaching it) instead of max F1. */
  targetPrecision?: number
  /** The review threshold: the highest recall whose validation precision still reaches this. */
  reviewPrecision: number
  signal?: AbortSignal
  /** Polled after each round: true ends training there, keeping the best model so far. */
  stopRequested?: () => boolean
  onReadProgress?: (file: string, rows: number) => void
  onFeaturesReady?: (rows: number, columns: number, seconds: number) => void
  onRound?: (report: RoundReport) => void
}

export interface TrainModelResult {
  modelPath: string
  cardPath: string
  card: ModelCard
  result: TrainResult
  matrix: FeatureMatrix
  stoppedByUser: boolean
}

/** Reads the data, computes features, trains, picks thresholds, writes NAME.onnx and NAME.card.json. */
export async function trainModel(options: TrainModelOptions): Promise<TrainModelResult> {
  const readStarted = performance.now()
  const { matrix, sources } = await buildTrainingSet(options.data, { validationShare: options.validationShare, validationPaths: options.validationData, signal: options.signal, onProgress: options.onReadProgress })
  options.onFeaturesReady?.(matrix.rows, matrix.columns, (performance.now() - readStarted) / 1000)
  const result = await trainGbt(matrix, options.params, options.onRound, options.stopRequested)
  const validationRows = rowsWhere(matrix.validation, 1)
  const scores = result.validationScores
  const block = chooseThreshold(scores, matrix.labels, validationRows, options.targetPrecision)
  const review = chooseThreshold(scores, matrix.labels, validationRows, options.reviewPrecision)
  const blockAt = Math.fround(block.threshold)
  const reviewAt = Math.fround(Math.min(blockAt, review.threshold))
  const name = basename(options.out).replace(/\.onnx$/i, '')
  const onnx = treeEnsembleToOnnx(result.model, { name, version: fraudlabVersion() })
  const sha256 = createHash('sha256').update(onnx).digest('hex')
  const card: ModelCard = {
    schemaVersion: MODEL_CARD_SCHEMA_VERSION,
    name,
    version: `${name}-${sha256.slice(0, 12)}`,
    createdAt: new Date().toISOString(),
    model: { file: basename(options.out), sha256, kind: 'gradient-boosted-trees', input: MODEL_INPUT, output: MODEL_OUTPUT },
    featureEngine: FEATURE_ENGINE_VERSION,
    features: [...matrix.featureNames],
    thresholds: {
      block: blockAt,
      review: reviewAt,
      chosenBy: `block: ${options.targetPrecision === undefined ? 'max F1' : `highest recall at precision ≥ ${options.targetPrecision}`}; review: highest recall at precision ≥ ${options.reviewPrecision} (on validation)`,
    },
    training: {
      data: sources.map(({ fromRow: _from, toRow: _to, ...source }) => source),
      trainRows: result.trainRows,
      validationRows: result.validationRows,
      validationShare: Math.round((result.validationRows / (result.trainRows + result.validationRows)) * 1e4) / 1e4,
      heldOut: options.validationData?.length ? 'separate files' : 'latest share of each file, by event time',
      params: { ...result.params },
      rounds: result.bestRound,
      seconds: Math.round(result.elapsedMs / 100) / 10,
    },
    validation: validationMetrics(matrix, scores, validationRows, blockAt, sources),
  }
  const cardPath = cardPathFor(options.out)
  await makeDirectory(dirname(options.out), { what: '--out', hint: 'Choose a folder you can write to for --out.' })
  await writeAtomically(options.out, onnx)
  await writeAtomically(cardPath, JSON.stringify(card, null, 2) + '\n')
  return { modelPath: options.out, cardPath, card, result, matrix, stoppedByUser: options.stopRequested?.() ?? false }
}

function validationMetrics(matrix: FeatureMatrix, scores: Float64Array, rows: Uint32Array, threshold: number, sources: TrainingSource[]): NonNullable<ModelCard['validation']> {
  const overall = confusionAt(scores, matrix.labels, threshold, rows)
  const perArchetype: NonNullable<ModelCard['validation']>['perArchetype'] = {}
  matrix.archetypes.forEach((archetype, id) => {
    if (archetype === 'normal') return
    let frauds = 0
    let caught = 0
    for (const r of rows) {
      if (matrix.archetypeIds[r] !== id || !matrix.labels[r]) continue
      frauds++
      if (scores[r] >= threshold) caught++
    }
    if (frauds === 0) return
    const againstGenuine = rows.filter((r) => !matrix.labels[r] || matrix.archetypeIds[r] === id)
    const own = chooseThreshold(scores, matrix.labels, againstGenuine, 0.9)
    perArchetype[archetype] = {
      frauds,
      caught,
      recall: round(caught / frauds),
      precision: round(caught / (caught + overall.falsePositives)),
      recallAtPrecision90: round(own.recall),
    }
  })
  const perSource: Record<string, { prAuc: number | null; precision: number | null; recall: number | null; f1: number | null }> = {}
  for (const source of sources) {
    if (source.role === 'training') continue
    const own = rows.filter((r) => r >= source.fromRow && r < source.toRow)
    perSource[source.file] = metricsOf(scores, matrix.labels, own, threshold)
  }
  return { overall: metricsOf(scores, matrix.labels, rows, threshold), perArchetype, perSource }
}

function metricsOf(scores: Float64Array, labels: Uint8Array, rows: Uint32Array, threshold: number) {
  const { precision, recall, f1 } = accuracyFrom(confusionAt(scores, labels, threshold, rows))
  return { prAuc: round(prAuc(scores, labels, rows)), precision: round(precision), recall: round(recall), f1: round(f1) }
}

function round(value: number, digits = 4): number | null {
  return Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null
}


async function writeAtomically(path: string, content: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.partial`, content)
  await rename(`${path}.partial`, path)
}
