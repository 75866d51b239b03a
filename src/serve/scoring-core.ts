import { FeatureEngine } from '../features/feature-engine.js'
import { FEATURE_COUNT } from '../features/feature-names.js'
import type { Verdict } from '../schema/decision.js'
import type { Transaction } from '../schema/transaction.js'
import { loadScorer } from '../scorer/load-scorer.js'
import type { Scorer } from '../scorer/scorer.js'

export interface ScoredTransaction {
  transactionId: string
  score: number
  verdict: Verdict
  reasons: string[]
  modelVersion: string
}

/**
 * The scorer's core without a stream around it: the same feature engine (state carried from
 * request to request, as the stream scorer carries it from record to record) and the same model
 * and decision rules.
 */
export class ScoringCore {
  readonly features = new FeatureEngine()
  readonly verdicts: Record<Verdict, number> = { allow: 0, review: 0, block: 0, reject: 0 }

  private constructor(private readonly scorer: Scorer) {}

  static async load(model: string): Promise<ScoringCore> {
    return new ScoringCore(await loadScorer(model))
  }

  get modelVersion(): string {
    return this.scorer.modelVersion
  }

  async score(transactions: readonly Transaction[]): Promise<ScoredTransaction[]> {
    // Each call its own buffer: onnxruntime reads it after this function has yielded.
    const rows = new Float64Array(transactions.length * FEATURE_COUNT)
    transactions.forEach((tx, i) => this.features.observe(tx, rows, i * FEATURE_COUNT))
    const scores = await this.scorer.scoreBatch(transactions, rows)
    return scores.map((s, i) => {
      this.verdicts[s.verdict]++
      return { transactionId: transactions[i].id, score: s.score, verdict: s.verdict, reasons: s.reasons, modelVersion: this.scorer.modelVersion }
    })
  }

  async close(): Promise<void> {
    await this.scorer.close?.()
  }
}
