import type { Label } from '../schema/labels.js'
import type { Channel, Transaction, TransactionType } from '../schema/transaction.js'

export const PAYSIM_COLUMNS = [
  'step', 'type', 'amount', 'nameOrig', 'oldbalanceOrg', 'newbalanceOrig', 'nameDest', 'oldbalanceDest', 'newbalanceDest', 'isFraud', 'isFlaggedFraud',
] as const

export const PAYSIM_TYPES = ['CASH_OUT', 'PAYMENT', 'CASH_IN', 'TRANSFER', 'DEBIT'] as const
export type PaysimType = (typeof PAYSIM_TYPES)[number]
const TYPE_SET = new Set<string>(PAYSIM_TYPES)

import { HOUR_MS } from '../util/time.js'

/** One validated PaySim row. */
export interface PaysimRow {
  line: number
  step: number
  type: PaysimType
  amount: number
  nameOrig: string
  oldbalanceOrg: number
  newbalanceOrig: number
  nameDest: string
  oldbalanceDest: number
  newbalanceDest: number
  isFraud: boolean
  isFlaggedFraud: boolean
}

/** Why a header is not PaySim's: missing, unexpected or reordered columns, named. */
export function checkHeader(fields: string[]): string | undefined {
  const got = fields.map((f) => f.trim().replace(/^\uFEFF/, ''))
  // Some exports (pandas) prepend an unnamed index column: say so rather than "unexpected column".
  const missing = PAYSIM_COLUMNS.filter((c) => !got.includes(c))
  const extra = got.filter((c) => !(PAYSIM_COLUMNS as readonly string[]).includes(c))
  if (missing.length || extra.length) {
    return [missing.length ? `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : '', extra.length ? `unexpected column${extra.length > 1 ? 's' : ''} ${extra.map((e) => JSON.stringify(e)).join(', ')}` : '']
      .filter(Boolean)
      .join('; ')
  }
  const misplaced = PAYSIM_COLUMNS.filter((c, i) => got[i] !== c)
  if (misplaced.length) return `columns out of order (${misplaced.join(', ')}); PaySim's order is ${PAYSIM_COLUMNS.join(',')}`
  return undefined
}

export type RowResult = { ok: true; row: PaysimRow } | { ok: false; line: number; reason: string }

function number(text: string): number {
  // Number('') is 0: an empty field must not pass as zero.
  return text === '' ? NaN : Number(text)
}

/** Validates one row's fields; the reason names the column and the value. */
export function parseRow(fields: string[], line: number): RowResult {
  if (fields.length !== PAYSIM_COLUMNS.length) {
    return { ok: false, line, reason: `expected ${PAYSIM_COLUMNS.length} columns, found ${fields.length}` }
  }
  const step = number(fields[0])
  if (!Number.isInteger(step) || step < 1) return { ok: false, line, reason: `step must be a whole number ≥ 1, got ${JSON.stringify(fields[0])}` }
  const type = fields[1]
  if (!TYPE_SET.has(type)) return { ok: false, line, reason: `unknown type ${JSON.stringify(type)} (expected one of ${PAYSIM_TYPES.join(', ')})` }
  const amount = number(fields[2])
  if (!Number.isFinite(amount)) return { ok: false, line, reason: `amount is not a number: ${JSON.stringify(fields[2])}` }
  if (amount < 0) return { ok: false, line, reason: `amount is negative: ${fields[2]}` }
  const balances = [4, 5, 7, 8].map((i) => number(fields[i]))
  for (let k = 0; k < 4; k++) {
    const column = PAYSIM_COLUMNS[[4, 5, 7, 8][k]]
    if (!Number.isFinite(balances[k])) return { ok: false, line, reason: `${column} is not a number: ${JSON.stringify(fields[[4, 5, 7, 8][k]])}` }
    if (balances[k] < 0) return { ok: false, line, reason: `${column} is negative: ${fields[[4, 5, 7, 8][k]]}` }
  }
  if (!fields[3] || !fields[6]) return { ok: false, line, reason: `${fields[3] ? 'nameDest' : 'nameOrig'} is empty` }
  for (const i of [9, 10]) {
    if (fields[i] !== '0' && fields[i] !== '1') return { ok: false, line, reason: `${PAYSIM_COLUMNS[i]} must be 0 or 1, got ${JSON.stringify(fields[i])}` }
  }
  return {
    ok: true,
    row: {
      line,
      step,
      type: type as PaysimType,
      amount,
      nameOrig: fields[3],
      oldbalanceOrg: balances[0],
      newbalanceOrig: balances[1],
      nameDest: fields[6],
      oldbalanceDest: balances[2],
      newbalanceDest: balances[3],
      isFraud: fields[9] === '1',
      isFlaggedFraud: fields[10] === '1',
    },
  }
}

const CHANNEL: Record<PaysimType, Channel> = { PAYMENT: 'mobile', TRANSFER: 'mobile', CASH_OUT: 'atm', CASH_IN: 'branch', DEBIT: 'web' }

/**
 * PaySim row → canonical transaction: nameOrig → account, nameDest → counterparty, the four
 * balances kept as they are (quirks included), the type as is, a channel by type (PaySim has
 * none), currency XXX (PaySim's amounts are in an unnamed local currency).
 */
export function toTransaction(row: PaysimRow, id: string, eventTimeMs: number): Transaction {
  return {
    id,
    eventTime: eventTimeMs,
    account: row.nameOrig,
    counterparty: row.nameDest,
    type: row.type as TransactionType,
    amount: row.amount,
    currency: 'XXX',
    balances: { originBefore: row.oldbalanceOrg, originAfter: row.newbalanceOrig, destinationBefore: row.oldbalanceDest, destinationAfter: row.newbalanceDest },
    channel: CHANNEL[row.type],
  }
}

const GENUINE: Label = Object.freeze({ isFraud: false, archetype: 'normal', attackId: '' })
const FRAUD: Label = Object.freeze({ isFraud: true, archetype: 'paysim-fraud', attackId: '' })

export function labelOf(row: PaysimRow): Label {
  return row.isFraud ? FRAUD : GENUINE
}

/**
 * Event time of the i-th of n rows of a step: a step is one hour, and its rows are spread evenly
 * across it in file order (PaySim records no finer time).
 */
export function eventTimeOf(step: number, indexInStep: number, rowsInStep: number, startDateMs: number): number {
  return Math.round(startDateMs + (step - 1) * HOUR_MS + ((indexInStep + 0.5) / rowsInStep) * HOUR_MS)
}
