import { setImmediate as nextTick } from 'node:timers/promises'
import { UserError } from '../errors/user-error.js'
import { CSV_COLUMNS } from '../export/labelled-export.js'
import type { Label, LabelledTransaction } from '../schema/labels.js'
import { TransactionSchema, type Transaction } from '../schema/transaction.js'
import { readLines, splitCsvLine } from './line-reader.js'
import { checkHeader, PAYSIM_COLUMNS } from './paysim-format.js'
import { PaysimReplaySource } from './paysim-replay-source.js'

export type TrainingFormat = 'ndjson' | 'csv' | 'paysim'

/** PaySim's steps start here when a PaySim file is read for training (as `replay paysim` does by default). */
export const PAYSIM_TRAINING_START_MS = Date.UTC(2026, 0, 1)

const HINT_COLUMNS = `A training CSV is either a PaySim file (${PAYSIM_COLUMNS.join(',')}) or the output of \`fraudlab generate\` (${CSV_COLUMNS.join(',')}).`

/**
 * Reads a labelled training file, whatever its kind: NDJSON or CSV written by `fraudlab generate`,
 * or a PaySim CSV. Every record is validated as a canonical transaction with a 0/1 label; the
 * first bad one stops the read with its file and line.
 */
export async function* readTrainingData(path: string, signal?: AbortSignal): AsyncGenerator<LabelledTransaction[]> {
  const format = await detectFormat(path)
  if (format === 'paysim') yield* readPaysimForTraining(path, signal)
  else yield* readGenerated(path, format, signal)
}

export async function detectFormat(path: string): Promise<TrainingFormat> {
  for await (const { lines } of readLines(path, { missingHint: 'Check the path given to --data.' })) {
    const first = lines.find((line) => line.trim() !== '')
    if (first === undefined) continue
    if (first.trimStart().startsWith('{')) return 'ndjson'
    return checkHeader(splitCsvLine(first)) === undefined ? 'paysim' : 'csv'
  }
  throw new UserError(`${path} is empty.`, { hint: 'Give a file written by `fraudlab generate` or a PaySim CSV.' })
}

async function* readPaysimForTraining(path: string, signal?: AbortSignal): AsyncGenerator<LabelledTransaction[]> {
  const source = new PaysimReplaySource(path, { idPrefix: 'train', startDateMs: PAYSIM_TRAINING_START_MS, onBadRow: 'fail', readAhead: 50_000 })
  const reading = source.start(signal)
  while (!source.exhausted()) {
    const batch: LabelledTransaction[] = []
    while (source.available() && batch.length < 10_000) batch.push(source.next())
    if (batch.length) yield batch
    else await nextTick()
  }
  await reading
  if (source.error) throw source.error
}

async function* readGenerated(path: string, format: 'ndjson' | 'csv', signal?: AbortSignal): AsyncGenerator<LabelledTransaction[]> {
  let columns: string[] | undefined
  for await (const { lines, firstLine } of readLines(path, { signal })) {
    const batch: LabelledTransaction[] = []
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]
      if (text.trim() === '') continue
      const where = `${path}:${firstLine + i}`
      if (format === 'ndjson') batch.push(parseJsonRecord(text, where))
      else if (!columns) columns = checkColumns(splitCsvLine(text), where)
      else batch.push(parseCsvRecord(splitCsvLine(text), columns, where))
    }
    if (batch.length) yield batch
  }
}

function parseJsonRecord(text: string, where: string): LabelledTransaction {
  let json: Record<string, unknown>
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new UserError(`${where}: not valid JSON (${(error as Error).message}).`, { hint: 'Each line of an NDJSON file is one JSON object, as `fraudlab generate` writes them.' })
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${where}: expected a JSON object.`)
  const { isFraud, archetype, attackId, ...fields } = json
  return { transaction: validTransaction(fields, where), label: label(isFraud, archetype, attackId, where) }
}

function checkColumns(header: string[], where: string): string[] {
  const known = new Set<string>(CSV_COLUMNS)
  const unknown = header.filter((name) => !known.has(name))
  if (unknown.length) throw new UserError(`${where}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}.`, { hint: HINT_COLUMNS })
  if (!header.includes('isFraud')) throw new UserError(`${where}: no isFraud column: a training file needs labels.`, { hint: HINT_COLUMNS })
  return header
}

const NUMERIC = new Set(['eventTime', 'amount', 'lat', 'lon', 'accountCreatedAt', 'originBefore', 'originAfter', 'destinationBefore', 'destinationAfter'])

function parseCsvRecord(values: string[], columns: string[], where: string): LabelledTransaction {
  if (values.length !== columns.length) throw new UserError(`${where}: expected ${columns.length} fields, found ${values.length}.`, { hint: 'Quote fields that contain commas.' })
  const row: Record<string, string | number | undefined> = {}
  for (let c = 0; c < columns.length; c++) {
    const text = values[c]
    const column = columns[c]
    if (text === '') continue
    row[column] = NUMERIC.has(column) ? Number(text) : text
  }
  const { isFraud, archetype, attackId, lat, lon, originBefore, originAfter, destinationBefore, destinationAfter, ...fields } = row
  const transaction: Record<string, unknown> = { ...fields }
  if (lat !== undefined || lon !== undefined) transaction.geo = { lat, lon }
  if (originBefore !== undefined) transaction.balances = { originBefore, originAfter, destinationBefore, destinationAfter }
  const labelValue = isFraud === '1' || isFraud === 'true' ? true : isFraud === '0' || isFraud === 'false' ? false : isFraud
  return { transaction: validTransaction(transaction, where), label: label(labelValue, archetype, attackId, where) }
}

function validTransaction(fields: Record<string, unknown>, where: string): Transaction {
  const result = TransactionSchema.safeParse(fields)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'record')
  throw new UserError(`${where}: ${field}: ${issue.message}.`, { hint: 'Training files hold canonical transactions plus isFraud, archetype and attackId; see `fraudlab generate --help`.' })
}

const GENUINE: Label = Object.freeze({ isFraud: false, archetype: 'normal', attackId: '' })

function label(isFraud: unknown, archetype: unknown, attackId: unknown, where: string): Label {
  if (isFraud !== true && isFraud !== false && isFraud !== 0 && isFraud !== 1) {
    throw new UserError(`${where}: isFraud must be 0 or 1 (or true/false), got ${JSON.stringify(isFraud) ?? 'nothing'}.`, { hint: 'Every training row needs a label; fix or drop the rows without one.' })
  }
  const fraud = isFraud === true || isFraud === 1
  if (!fraud && (archetype === undefined || archetype === 'normal')) return GENUINE
  return { isFraud: fraud, archetype: typeof archetype === 'string' && archetype ? archetype : fraud ? 'fraud' : 'normal', attackId: typeof attackId === 'string' ? attackId : '' }
}
