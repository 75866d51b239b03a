import type { Verdict } from '../schema/decision.js'
import type { Transaction } from '../schema/transaction.js'

/** An explicit rule beside the model: when it applies, the verdict is at least `verdict`. */
export interface DecisionRule {
  name: string
  verdict: Extract<Verdict, 'review' | 'block'>
  applies(tx: Transaction): boolean
}

/** PaySim's own control: a TRANSFER above 200,000 is flagged (isFlaggedFraud), here sent to review. */
export const LARGE_TRANSFER_RULE: DecisionRule = {
  name: 'rule:transfer-over-200k',
  verdict: 'review',
  applies: (tx) => tx.type === 'TRANSFER' && tx.amount > 200_000,
}

export const DEFAULT_RULES: readonly DecisionRule[] = [LARGE_TRANSFER_RULE]

const SEVERITY: Record<Verdict, number> = { allow: 0, review: 1, block: 2, reject: 3 }

export function atLeast(verdict: Verdict, floor: Verdict): Verdict {
  return SEVERITY[floor] > SEVERITY[verdict] ? floor : verdict
}
