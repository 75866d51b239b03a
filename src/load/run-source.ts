import type { LabelledTransaction } from '../schema/labels.js'

/** What the load runner sends: a scenario (endless, always ready) or a dataset (finite, read ahead). */
export interface RunSource {
  /** Takes the next transaction; only call when `available()`. */
  next(): LabelledTransaction
  /** Looks at the next transaction without taking it; only call when `available()`. */
  peek(): LabelledTransaction
  /** A transaction is ready to be taken now. */
  available(): boolean
  /** No transaction will ever be available again. */
  exhausted(): boolean
  /** Set when the source failed (a bad row, a read error): the run stops with it. */
  readonly error?: Error
}
