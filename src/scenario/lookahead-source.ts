import type { LabelledTransaction } from '../schema/labels.js'
import type { RunSource } from '../load/run-source.js'
import type { TransactionSource } from './transaction-source.js'

/** A source whose next transaction can be looked at before it is taken (for event-time arrival). */
export class LookaheadSource implements TransactionSource, RunSource {
  readonly name: string
  private buffered?: LabelledTransaction

  constructor(private readonly inner: TransactionSource) {
    this.name = inner.name
  }

  peek(): LabelledTransaction {
    this.buffered ??= this.inner.next()
    return this.buffered
  }

  /** A generator is always ready and never runs out. */
  available(): boolean {
    return true
  }

  exhausted(): boolean {
    return false
  }

  next(): LabelledTransaction {
    const item = this.peek()
    this.buffered = undefined
    return item
  }
}
