import { F, FEATURE_COUNT } from '../features/feature-names.js'
import type { Transaction } from '../schema/transaction.js'
import type { Score, ScoreModel } from './score-model.js'

export const BLOCK_AT = 0.7
export const REVIEW_AT = 0.4

/**
 * Transparent weighted rules for the PaySim takeover pattern (drain the balance to a new account,
 * cash it out at once), kept as a baseline to compare models against (`--model rules`). Each rule
 * adds weight and names itself as a reason.
 */
export class RulesScoreModel implements ScoreModel {
  readonly modelVersion = 'rules-v1'

  async scoreBatch(transactions: readonly Transaction[], features: Float64Array): Promise<Score[]> {
    return transactions.map((tx, i) => this.scoreOne(tx, features, i * FEATURE_COUNT))
  }

  private scoreOne(tx: Transaction, f: Float64Array, o: number): Score {
    let score = 0
    const reasons: string[] = []
    const add = (weight: number, reason: string) => {
      score += weight
      reasons.push(reason)
    }
    const historyCount = f[o + F.account_history_count]
    if ((tx.type === 'TRANSFER' || tx.type === 'CASH_OUT') && f[o + F.share_of_balance] >= 0.95) add(0.45, 'drains-balance')
    if (historyCount > 0 && f[o + F.account_new_device] === 1) add(0.3, 'new-device')
    if (tx.type === 'TRANSFER' && f[o + F.counterparty_history_count] === 0) add(0.25, 'new-counterparty')
    if (tx.type === 'CASH_OUT' && f[o + F.account_amount_vs_inbound_24h] <= 1 / 0.9) add(0.45, 'cash-out-of-fresh-funds')
    if (f[o + F.account_amount_vs_mean] > 10) add(0.2, 'unusual-amount')
    score = Math.min(1, Math.round(score * 1000) / 1000)
    return { score, verdict: score >= BLOCK_AT ? 'block' : score >= REVIEW_AT ? 'review' : 'allow', reasons }
  }
}
