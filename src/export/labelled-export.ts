import { createWriteStream, type WriteStream } from 'node:fs'
import { rename } from 'node:fs/promises'
import { once } from 'node:events'
import { dirname } from 'node:path'
import { UserError } from '../errors/user-error.js'
import type { LabelledTransaction } from '../schema/labels.js'
import type { Transaction } from '../schema/transaction.js'
import type { TransactionSource } from '../scenario/transaction-source.js'
import { makeDirectory } from '../util/writable-path.js'

export type ExportFormat = 'ndjson' | 'csv'

export const CSV_COLUMNS = [
  'id', 'eventTime', 'account', 'counterparty', 'type', 'amount', 'currency', 'channel', 'device', 'ip', 'lat', 'lon', 'card',
  'merchantCategory', 'authResult', 'accountCreatedAt', 'update', 'originBefore', 'originAfter', 'destinationBefore', 'destinationAfter',
  'isFraud', 'archetype', 'attackId',
] as const

export function formatFromPath(path: string): ExportFormat | undefined {
  if (/\.(ndjson|jsonl)$/i.test(path)) return 'ndjson'
  if (/\.csv$/i.test(path)) return 'csv'
  return undefined
}

/** One NDJSON line: the transaction's fields, then the label's (isFraud, archetype, attackId). */
export function ndjsonLine({ transaction, label }: LabelledTransaction): string {
  const json = JSON.stringify(transaction)
  return json.slice(0, -1) + (label.isFraud ? labelSuffix(label) : NORMAL_SUFFIX)
}

const labelSuffix = (label: LabelledTransaction['label']) => `,"isFraud":${label.isFraud},"archetype":${JSON.stringify(label.archetype)},"attackId":${JSON.stringify(label.attackId)}}\n`
// 99% of lines are genuine: their label suffix is built once.
const NORMAL_SUFFIX = labelSuffix({ isFraud: false, archetype: 'normal', attackId: '' })

const csvField = (value: string | number | undefined) => (value === undefined ? '' : typeof value === 'number' ? String(value) : /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)

export function csvLine({ transaction: t, label }: LabelledTransaction): string {
  const b = t.balances
  const values: Array<string | number | undefined> = [
    t.id, t.eventTime, t.account, t.counterparty, t.type, t.amount, t.currency, t.channel, t.device, t.ip, t.geo?.lat, t.geo?.lon, t.card,
    t.merchantCategory, t.authResult, t.accountCreatedAt, t.update, b?.originBefore, b?.originAfter, b?.destinationBefore, b?.destinationAfter,
    label.isFraud ? 1 : 0, label.archetype, label.attackId,
  ]
  return values.map(csvField).join(',') + '\n'
}

export interface ExportProgress {
  written: number
  total: number
  fraud: number
}

/**
 * Writes `count` labelled transactions to `path` (NDJSON or CSV). Lines are joined into large
 * chunks and written with back-pressure; the file appears under its name only once complete.
 */
export async function exportLabelled(
  source: TransactionSource,
  options: { count: number; path: string; format: ExportFormat; onProgress?: (progress: ExportProgress) => void; signal?: AbortSignal },
): Promise<ExportProgress> {
  await makeDirectory(dirname(options.path), { what: '--out', hint: 'Choose a folder you can write to for --out.' })
  const partial = `${options.path}.partial`
  const out = createWriteStream(partial)
  const opened = new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve())
    out.once('error', (error) => reject(new UserError(`Cannot write ${options.path}: ${(error as NodeJS.ErrnoException).code ?? error.message}.`, { hint: 'Check the folder exists and is writable.' })))
  })
  await opened
  const line = options.format === 'csv' ? csvLine : ndjsonLine
  const progress: ExportProgress = { written: 0, total: options.count, fraud: 0 }
  if (options.format === 'csv') await write(out, CSV_COLUMNS.join(',') + '\n')
  const CHUNK_LINES = 2_048
  let chunk = ''
  let linesInChunk = 0
  while (progress.written < options.count && !options.signal?.aborted) {
    const item = source.next()
    if (item.label.isFraud) progress.fraud++
    chunk += line(item)
    progress.written++
    if (++linesInChunk === CHUNK_LINES) {
      await write(out, chunk)
      chunk = ''
      linesInChunk = 0
      options.onProgress?.(progress)
    }
  }
  if (chunk) await write(out, chunk)
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  if (options.signal?.aborted) return progress
  await rename(partial, options.path)
  options.onProgress?.(progress)
  return progress
}

async function write(out: WriteStream, text: string): Promise<void> {
  // events.once rejects if the stream errors while we wait, and leaves no listener behind.
  if (!out.write(text)) await once(out, 'drain')
}

/** Parses one exported NDJSON line back into a transaction and its label (for training and tools). */
export function parseNdjsonLine(text: string): LabelledTransaction {
  const { isFraud, archetype, attackId, ...transaction } = JSON.parse(text) as Transaction & { isFraud: boolean; archetype: string; attackId: string }
  return { transaction: transaction as Transaction, label: { isFraud, archetype, attackId } }
}
