import { closeSync, openSync, writeSync } from 'node:fs'
import { FEATURE_COUNT } from '../features/feature-names.js'
import type { Transaction } from '../schema/transaction.js'

/**
 * NDJSON of the features the scorer computed, one line per transaction in scoring order:
 * {"id": …, "features": [… FEATURE_NAMES order, null for NaN]}. For train/serve parity checks,
 * so written synchronously: slow, and off by default.
 */
export class FeaturesLog {
  private readonly fd: number

  constructor(path: string) {
    this.fd = openSync(path, 'a')
  }

  write(transactions: readonly Transaction[], rows: Float64Array): void {
    let text = ''
    for (let i = 0; i < transactions.length; i++) {
      const values = Array.from(rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), (v) => (Number.isNaN(v) ? null : v))
      text += JSON.stringify({ id: transactions[i].id, features: values }) + '\n'
    }
    if (text) writeSync(this.fd, text)
  }

  close(): void {
    closeSync(this.fd)
  }
}
