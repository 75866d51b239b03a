import type { LabelledTransaction } from '../schema/labels.js'
import type { TransactionSource } from './transaction-source.js'

/** A source whose next transaction can be looked at before it is taken (for event-time arrival). */
export class LookaheadSource implements TransactionSource {
  readonly name: string
  private buffered?: LabelledTransaction

  constructor(private readonly inner: TransactionSource) {
    this.name = inner.name
  }

  peek(): LabelledTransaction {
    this.buffered ??= this.inner.next()
    return this.buffered
  }

  next(): LabelledTransaction {
    const item = this.peek()
    this.buffered = undefined
    return item
  }
}
