import { DecisionStep } from '../decision/decision-step.js'
import type { ModelLoadOptions } from '../decision/onnx-score-model.js'
import type { FeatureEngine } from '../features/feature-engine.js'
import type { Verdict } from '../schema/decision.js'
import type { Transaction } from '../schema/transaction.js'

/** At most one model call per this many milliseconds while requests keep coming. */
const FLUSH_INTERVAL_MS = 1
/** A batch this large is scored at once, without waiting for its turn. */
const FLUSH_AT_ROWS = 256

export interface ScoredTransaction {
  transactionId: string
  score: number
  verdict: Verdict
  reasons: string[]
  modelVersion: string
}

/**
 * The decision step behind HTTP requests: the same step the stream scorer calls (feature state
 * carried from request to request, as the scorer carries it from record to record), with
 * requests gathered into shared model calls.
 */
export class ScoringCore {
  readonly verdicts: Record<Verdict, number> = { allow: 0, review: 0, block: 0, reject: 0 }

  private constructor(private readonly step: DecisionStep) {}

  static async load(model: string, options: ModelLoadOptions = {}): Promise<ScoringCore> {
    return new ScoringCore(await DecisionStep.load(model, undefined, options))
  }

  get modelVersion(): string {
    return this.step.modelVersion
  }

  get features(): FeatureEngine {
    return this.step.features
  }

  /**
   * Scores in arrival order. Requests share model calls: the model step costs about 15 µs a call
   * and 10 µs a row on the 2-core development machine (`npm run bench:inference`), so a call per
   * request would spend more on calls than on rows. A batch closes on the next turn of the
   * event loop, except that calls are paced at most one per FLUSH_INTERVAL_MS: an idle server
   * answers at once, a busy one waits under a millisecond and scores several requests per call.
   */
  score(transactions: readonly Transaction[]): Promise<ScoredTransaction[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ transactions, resolve, reject })
      this.pendingCount += transactions.length
      if (this.pendingCount >= FLUSH_AT_ROWS) this.flushNow()
      else if (this.pending.length === 1) {
        const wait = this.lastFlushAt + FLUSH_INTERVAL_MS - performance.now()
        if (wait > 0) this.timer = setTimeout(this.flushNow, wait)
        else this.immediate = setImmediate(this.flushNow)
      }
    })
  }

  private pending: Array<{ transactions: readonly Transaction[]; resolve: (scored: ScoredTransaction[]) => void; reject: (error: Error) => void }> = []
  private pendingCount = 0
  private lastFlushAt = -Infinity
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined

  private readonly flushNow = (): void => {
    clearTimeout(this.timer)
    clearImmediate(this.immediate)
    this.timer = this.immediate = undefined
    if (this.pending.length === 0) return
    this.lastFlushAt = performance.now()
    void this.flush()
  }

  private async flush(): Promise<void> {
    const requests = this.pending
    const count = this.pendingCount
    this.pending = []
    this.pendingCount = 0
    const all: Transaction[] = new Array(count)
    let filled = 0
    for (const request of requests) for (const tx of request.transactions) all[filled++] = tx
    try {
      const scores = await this.step.decide(all)
      let offset = 0
      for (const request of requests) {
        request.resolve(
          request.transactions.map((tx, i) => {
            const s = scores[offset + i]
            this.verdicts[s.verdict]++
            return { transactionId: tx.id, score: s.score, verdict: s.verdict, reasons: s.reasons, modelVersion: this.step.modelVersion }
          }),
        )
        offset += request.transactions.length
      }
    } catch (error) {
      for (const request of requests) request.reject(error as Error)
    }
  }

  async close(): Promise<void> {
    await this.step.close()
  }
}
