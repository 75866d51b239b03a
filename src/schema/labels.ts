/** Ground truth for one transaction. Kept in the run ledger only; never sent on a stream. */
export interface Label {
  isFraud: boolean
  /** `normal` for genuine traffic, else the fraud archetype that produced the transaction. */
  archetype: string
  /** Groups the transactions of one attack (empty for genuine traffic). */
  attackId: string
}

/** One generated transaction and its ground truth, as the scenario emits them. */
export interface LabelledTransaction {
  transaction: import('./transaction.js').Transaction
  label: Label
}
