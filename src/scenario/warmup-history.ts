import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import type { LookaheadSource } from './lookahead-source.js'

export interface WarmupHistory {
  path: string
  transactions: number
  /** Event time the history covers, from the scenario's start. */
  eventMs: number
}

/**
 * Takes from `source` every transaction before `untilEventTimeMs` and writes it to `path` as
 * NDJSON, without its label: the history the scorer folds into its feature state before the
 * measured load, so that a run measures steady state rather than a cold start. The source then
 * goes on from the first transaction after the history.
 */
export async function writeWarmupHistory(source: LookaheadSource, fromEventTimeMs: number, untilEventTimeMs: number, path: string): Promise<WarmupHistory> {
  const out = createWriteStream(path)
  let transactions = 0
  let chunk = ''
  while (source.peek().transaction.eventTime < untilEventTimeMs) {
    const { transaction } = source.next()
    chunk += JSON.stringify({ ...transaction, id: `history-${transactions}` }) + '\n'
    if (++transactions % 2_048 === 0) {
      if (!out.write(chunk)) await once(out, 'drain')
      chunk = ''
    }
  }
  out.end(chunk)
  await once(out, 'close')
  return { path, transactions, eventMs: untilEventTimeMs - fromEventTimeMs }
}
