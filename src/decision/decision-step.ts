import { FeatureEngine } from '../features/feature-engine.js'
import { FEATURE_COUNT } from '../features/feature-names.js'
import { compileFastCheck } from '../schema/fast-check.js'
import { TransactionSchema, type Transaction } from '../schema/transaction.js'
import type { FeaturesLog } from './features-log.js'
import { loadScoreModel } from './load-score-model.js'
import type { ModelLoadOptions } from './onnx-score-model.js'
import type { Score, ScoreModel } from './score-model.js'

/** One batch's scores: the champion's, which act, and a shadow model's, which only get recorded. */
export interface BatchScores {
  scores: Score[]
  /** Wall time of the champion model's call (features excluded). */
  modelMs: number
  shadow?: { scores: Score[]; modelMs: number }
}

/**
 * Deciding about transactions, with no stream or HTTP around it: features (state carried from one
 * call to the next, in arrival order) → model → decision rules → score, verdict and reasons. The
 * stream scorer and `fraudlab serve` both decide through this one step. A shadow model, if given,
 * scores the same feature rows: champion and challenger see exactly the same traffic.
 */
export class DecisionStep {
  readonly features = new FeatureEngine()

  constructor(
    private readonly model: ScoreModel,
    /** Writes each transaction's features as computed here (train/serve parity checks). */
    private readonly featuresLog?: FeaturesLog,
    private readonly shadow?: ScoreModel,
  ) {}

  /** `rules`, or the path of an ONNX model with its card beside it. */
  static async load(model: string, featuresLog?: FeaturesLog, options: ModelLoadOptions = {}): Promise<DecisionStep> {
    return new DecisionStep(await loadScoreModel(model, options), featuresLog)
  }

  get modelVersion(): string {
    return this.model.modelVersion
  }

  get shadowModelVersion(): string | undefined {
    return this.shadow?.modelVersion
  }

  /** Scores in the order given; the feature state moves on by these transactions. */
  async decide(transactions: readonly Transaction[]): Promise<Score[]> {
    return (await this.decideWithShadow(transactions)).scores
  }

  /** The champion's scores and, with a shadow model, the shadow's, from one set of feature rows. */
  async decideWithShadow(transactions: readonly Transaction[]): Promise<BatchScores> {
    // Each call its own buffer: callers decide concurrently and onnxruntime reads it after we yield.
    const rows = new Float64Array(transactions.length * FEATURE_COUNT)
    for (let i = 0; i < transactions.length; i++) this.features.observe(transactions[i], rows, i * FEATURE_COUNT)
    this.featuresLog?.write(transactions, rows)
    const timed = async (model: ScoreModel) => {
      const started = performance.now()
      const scores = await model.scoreBatch(transactions, rows)
      return { scores, modelMs: performance.now() - started }
    }
    if (!this.shadow) return timed(this.model)
    // Both run at once (onnxruntime works off the event loop): the shadow adds its CPU, not its wait.
    const [champion, shadow] = await Promise.all([timed(this.model), timed(this.shadow)])
    return { ...champion, shadow }
  }

  async close(): Promise<void> {
    this.featuresLog?.close()
    await this.model.close?.()
    await this.shadow?.close?.()
  }
}

const isTransaction = compileFastCheck(TransactionSchema)

export type ParsedTransaction = { ok: true; transaction: Transaction } | { ok: false; id?: string; reason: string }

/** Validates a record where it enters the scorer; a record with labels or junk is refused here. */
export function parseTransaction(data: Uint8Array | undefined): ParsedTransaction {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(data ?? new Uint8Array()).toString('utf8'))
  } catch {
    return { ok: false, reason: 'invalid: not JSON' }
  }
  if (isTransaction(json)) return { ok: true, transaction: json }
  const result = TransactionSchema.safeParse(json)
  if (result.success) return { ok: true, transaction: result.data }
  const id = typeof (json as { id?: unknown })?.id === 'string' ? (json as { id: string }).id : undefined
  const issue = result.error.issues[0]
  return { ok: false, id, reason: `invalid: ${issue.path.join('.') || 'record'}: ${issue.message}`.slice(0, 200) }
}
