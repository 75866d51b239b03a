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

  /**
   * Scores in arrival order. Requests that arrive within one turn of the event loop share one
   * model call: onnxruntime's cost is mostly per call, so under load this is several times cheaper
   * than a call per request, and it adds no waiting (the batch closes on the next turn).
   */
  score(transactions: readonly Transaction[]): Promise<ScoredTransaction[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ transactions, resolve, reject })
      this.pendingCount += transactions.length
      if (this.pending.length === 1) setImmediate(() => void this.flush())
    })
  }

  private pending: Array<{ transactions: readonly Transaction[]; resolve: (scored: ScoredTransaction[]) => void; reject: (error: Error) => void }> = []
  private pendingCount = 0

  private async flush(): Promise<void> {
    const requests = this.pending
    const count = this.pendingCount
    this.pending = []
    this.pendingCount = 0
    // Each call its own buffer: onnxruntime reads it after this function has yielded.
    const rows = new Float64Array(count * FEATURE_COUNT)
    const all: Transaction[] = []
    for (const request of requests) {
      for (const tx of request.transactions) {
        this.features.observe(tx, rows, all.length * FEATURE_COUNT)
        all.push(tx)
      }
    }
    try {
      const scores = await this.scorer.scoreBatch(all, rows)
      let offset = 0
      for (const request of requests) {
        request.resolve(
          request.transactions.map((tx, i) => {
            const s = scores[offset + i]
            this.verdicts[s.verdict]++
            return { transactionId: tx.id, score: s.score, verdict: s.verdict, reasons: s.reasons, modelVersion: this.scorer.modelVersion }
          }),
        )
        offset += request.transactions.length
      }
    } catch (error) {
      for (const request of requests) request.reject(error as Error)
    }
  }

  async close(): Promise<void> {
    await this.scorer.close?.()
  }
}
