import type { Verdict } from '../schema/decision.js'
import type { Transaction } from '../schema/transaction.js'

export interface Score {
  score: number
  verdict: Verdict
  reasons: string[]
}

/**
 * Turns a batch of transactions and their features into scores. `features` holds one row of
 * FEATURE_COUNT doubles per transaction, in FEATURE_NAMES order, as the feature engine wrote them.
 * Shard loops call it concurrently: an implementation must not share buffers between calls.
 */
export interface ScoreModel {
  readonly modelVersion: string
  scoreBatch(transactions: readonly Transaction[], features: Float64Array): Promise<Score[]>
  close?(): Promise<void>
}
