import type { TransactionFeatures } from '../features/transaction-features.js'
import type { Transaction } from '../schema/transaction.js'
import type { Score, Scorer } from './scorer.js'

export const BLOCK_AT = 0.7
export const REVIEW_AT = 0.4

/**
 * Transparent rules for the PaySim takeover pattern (drain the balance to a new account, cash it
 * out at once). Each rule adds weight and names itself as a reason.
 */
export class RulesScorer implements Scorer {
  readonly modelVersion = 'rules-v1'

  score(tx: Transaction, f: TransactionFeatures): Score {
    let score = 0
    const reasons: string[] = []
    const add = (weight: number, reason: string) => {
      score += weight
      reasons.push(reason)
    }
    if (f.shareOfBalance >= 0.95) add(0.45, 'drains-balance')
    if (f.knownDevice === 0) add(0.3, 'new-device')
    if (tx.type === 'TRANSFER' && f.counterpartySeen === 0) add(0.25, 'new-counterparty')
    if (tx.type === 'CASH_OUT' && f.recentInboundTransfer >= 0.9 * tx.amount) add(0.45, 'cash-out-of-fresh-funds')
    if (f.accountMeanAmount > 0 && tx.amount > 10 * f.accountMeanAmount) add(0.2, 'unusual-amount')
    score = Math.min(1, Math.round(score * 1000) / 1000)
    return { score, verdict: score >= BLOCK_AT ? 'block' : score >= REVIEW_AT ? 'review' : 'allow', reasons }
  }
}
