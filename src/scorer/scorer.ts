import type { TransactionFeatures } from '../features/transaction-features.js'
import type { Verdict } from '../schema/decision.js'
import type { Transaction } from '../schema/transaction.js'

export interface Score {
  score: number
  verdict: Verdict
  reasons: string[]
}

/** Turns a transaction and its features into a score. Rules now; an ONNX model later. */
export interface Scorer {
  readonly modelVersion: string
  score(transaction: Transaction, features: TransactionFeatures): Score
}
