import type { Transaction } from '../schema/transaction.js'

/** A transaction's fields, without the id (numbered as emitted) and currency (scenarios trade in USD). */
export type TransactionFields = Omit<Transaction, 'id' | 'currency'>

/**
 * Builds a transaction with every optional key present (undefined when absent): all generated
 * transactions then share one object shape, which keeps creation and JSON.stringify on V8's fast
 * paths. JSON leaves undefined keys out, so the bytes on the stream are unaffected.
 */
export function buildTransaction(f: TransactionFields): Transaction {
  return {
    id: '',
    eventTime: f.eventTime,
    account: f.account,
    counterparty: f.counterparty,
    type: f.type,
    amount: f.amount,
    currency: 'USD',
    balances: f.balances,
    device: f.device,
    ip: f.ip,
    geo: f.geo,
    channel: f.channel,
    card: f.card,
    merchantCategory: f.merchantCategory,
    authResult: f.authResult,
    accountCreatedAt: f.accountCreatedAt,
    update: f.update,
  }
}

/** Balances of a movement out of an account whose balance was `before` (PaySim's four columns). */
export function outgoing(before: number, after: number, destinationBefore = 0, destinationAfter = 0): NonNullable<Transaction['balances']> {
  return { originBefore: before, originAfter: after, destinationBefore, destinationAfter }
}
