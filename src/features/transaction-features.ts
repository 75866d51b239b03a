import type { Transaction } from '../schema/transaction.js'
import { BoundedMap } from './bounded-map.js'

/**
 * Per-transaction features, computed from state as it was before the transaction. Unknown
 * values are NaN, never 0, so that "no history" is not mistaken for "a history of zeros".
 */
export interface TransactionFeatures {
  accountTransactionCount: number
  accountMeanAmount: number
  /** 1 if the device was seen on this account before, 0 if not, NaN without device or history. */
  knownDevice: number
  /** 1 if the counterparty has appeared before (as an account or a counterparty), else 0. */
  counterpartySeen: number
  /** amount / balance before, for TRANSFER and CASH_OUT with a positive balance; else NaN. */
  shareOfBalance: number
  /** Funds TRANSFERred into this account within the last 24 event-hours; NaN if none. */
  recentInboundTransfer: number
}

interface AccountState {
  count: number
  amountSum: number
  devices: string[]
  inboundAmount: number
  inboundAtMs: number
}

const MAX_DEVICES_PER_ACCOUNT = 8
const INBOUND_WINDOW_MS = 24 * 3_600_000

/** Online feature state keyed by account, bounded in memory. */
export class FeatureState {
  private readonly accounts: BoundedMap<string, AccountState>
  private readonly seenParties: BoundedMap<string, true>

  constructor(maxAccounts = 500_000) {
    this.accounts = new BoundedMap(maxAccounts)
    this.seenParties = new BoundedMap(maxAccounts * 2)
  }

  get trackedAccounts(): number {
    return this.accounts.size
  }

  /** Computes the features of `tx` and then folds `tx` into the state. */
  observe(tx: Transaction): TransactionFeatures {
    const state = this.accounts.get(tx.account)
    const features: TransactionFeatures = {
      accountTransactionCount: state?.count ?? 0,
      accountMeanAmount: state && state.count > 0 ? state.amountSum / state.count : NaN,
      knownDevice: !tx.device || !state ? NaN : state.devices.includes(tx.device) ? 1 : 0,
      counterpartySeen: this.seenParties.get(tx.counterparty) ? 1 : 0,
      shareOfBalance:
        (tx.type === 'TRANSFER' || tx.type === 'CASH_OUT') && tx.balances && tx.balances.originBefore > 0
          ? tx.amount / tx.balances.originBefore
          : NaN,
      recentInboundTransfer: state && state.inboundAmount > 0 && tx.eventTime - state.inboundAtMs <= INBOUND_WINDOW_MS ? state.inboundAmount : NaN,
    }
    this.update(tx, state)
    return features
  }

  private update(tx: Transaction, existing: AccountState | undefined): void {
    const state = existing ?? { count: 0, amountSum: 0, devices: [], inboundAmount: 0, inboundAtMs: 0 }
    state.count++
    state.amountSum += tx.amount
    if (tx.device && !state.devices.includes(tx.device)) {
      state.devices.push(tx.device)
      if (state.devices.length > MAX_DEVICES_PER_ACCOUNT) state.devices.shift()
    }
    this.accounts.set(tx.account, state)
    this.seenParties.set(tx.account, true)
    this.seenParties.set(tx.counterparty, true)
    if (tx.type === 'TRANSFER') {
      const receiver = this.accounts.get(tx.counterparty) ?? { count: 0, amountSum: 0, devices: [], inboundAmount: 0, inboundAtMs: 0 }
      receiver.inboundAmount = tx.amount
      receiver.inboundAtMs = tx.eventTime
      this.accounts.set(tx.counterparty, receiver)
    }
  }
}
