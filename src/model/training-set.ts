import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { basename } from 'node:path'
import { detectFormat, readTrainingData, type TrainingFormat } from '../dataset/training-data.js'
import { UserError } from '../errors/user-error.js'
import { FeatureEngine } from '../features/feature-engine.js'
import { FEATURE_COUNT, FEATURE_NAMES } from '../features/feature-names.js'
import { FeatureMatrixBuilder, type FeatureMatrix } from './feature-matrix.js'

export interface TrainingSource {
  file: string
  format: TrainingFormat
  rows: number
  positives: number
  bytes: number
  sha256: string
  /** Whether the file trains the model or validates it whole; absent: the latest share of it validates. */
  role?: 'training' | 'validation'
  /** This file's rows in the matrix: [fromRow, toRow). */
  fromRow: number
  toRow: number
}

export interface TrainingSet {
  matrix: FeatureMatrix
  sources: TrainingSource[]
}

/**
 * Runs each file through its own feature engine, in file order (event-time order, as the stream
 * delivers it), exactly as the scorer computes features online, and stacks the rows. Validation is
 * the `validationPaths` files, whole (another seed or population: the honest test), or else the
 * latest `validationShare` of each file, by event time.
 */
export async function buildTrainingSet(
  paths: string[],
  options: { validationShare: number; validationPaths?: string[]; signal?: AbortSignal; onProgress?: (file: string, rows: number) => void },
): Promise<TrainingSet> {
  const builder = new FeatureMatrixBuilder(FEATURE_NAMES)
  const row = new Float64Array(FEATURE_COUNT)
  const sources: TrainingSource[] = []
  const splits: Array<{ fromRow: number; toRow: number; validationShare: number }> = []
  const separate = (options.validationPaths?.length ?? 0) > 0
  const files = [...paths.map((path) => ({ path, role: separate ? ('training' as const) : undefined })), ...(options.validationPaths ?? []).map((path) => ({ path, role: 'validation' as const }))]
  for (const { path, role } of files) {
    const format = await detectFormat(path)
    // The scorer's own limits: state evicted online is evicted here too, so training sees what serving sees.
    const engine = new FeatureEngine()
    const fromRow = builder.rows
    let positives = 0
    for await (const batch of readTrainingData(path, options.signal)) {
      for (const { transaction, label } of batch) {
        engine.observe(transaction, row)
        builder.add(row, 0, label.isFraud ? 1 : 0, transaction.eventTime, label.archetype)
        if (label.isFraud) positives++
      }
      options.onProgress?.(path, builder.rows - fromRow)
      if (options.signal?.aborted) throw new UserError('Interrupted while reading the training data; no model was written.', { exitCode: 130 })
    }
    const rows = builder.rows - fromRow
    if (rows === 0) throw new UserError(`${path} holds no transactions.`, { hint: 'Give a file written by `fraudlab generate` or a PaySim CSV.' })
    if (positives === 0) {
      throw new UserError(`${path} has no positive labels: none of its ${rows} rows has isFraud = 1, so there is nothing to learn fraud from.`, {
        hint: 'Generate data from a scenario with fraud (for example --scenario mixed), or add a file that has frauds.',
      })
    }
    splits.push({ fromRow, toRow: builder.rows, validationShare: role === 'validation' ? 1 : role === 'training' ? 0 : options.validationShare })
    sources.push({ file: basename(path), format, rows, positives, ...(await fingerprint(path)), ...(role ? { role } : {}), fromRow, toRow: builder.rows })
  }
  const matrix = builder.build(splits)
  let validationPositives = 0
  let trainingGenuine = 0
  for (let r = 0; r < matrix.rows; r++) {
    if (matrix.validation[r] && matrix.labels[r]) validationPositives++
    if (!matrix.validation[r] && !matrix.labels[r]) trainingGenuine++
  }
  if (trainingGenuine === 0) {
    const files = sources.filter((source) => source.role !== 'validation').map((source) => source.file)
    throw new UserError(`The training data (${files.join(', ')}) has no genuine rows: every row has isFraud = 1, so a model would learn to block everything.`, {
      hint: 'Add genuine transactions (for example `fraudlab generate --scenario mixed`), or a file that has them.',
    })
  }
  if (validationPositives === 0) {
    const where = separate ? 'The --validation-data files hold' : `The validation split (the latest ${Math.round(options.validationShare * 100)}% of each file by event time) holds`
    throw new UserError(`${where} no fraud, so early stopping and the threshold cannot be chosen.`, {
      hint: separate ? 'Generate validation data from a scenario with fraud, on another seed.' : 'Use more data, or a larger --validation-share.',
    })
  }
  return { matrix, sources }
}

async function fingerprint(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    bytes += chunk.length
  }
  return { bytes, sha256: hash.digest('hex') }
}
