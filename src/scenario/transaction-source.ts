import type { LabelledTransaction } from '../schema/labels.js'

/** A deterministic stream of labelled transactions: the same seed gives the same sequence. */
export interface TransactionSource {
  readonly name: string
  /** The next transaction in event-time order. */
  next(): LabelledTransaction
}
