import { DecisionStep, parseTransaction } from '../decision/decision-step.js'
import type { ScoreModel } from '../decision/score-model.js'
import { CHANNELS, TRANSACTION_TYPES, type Transaction } from '../schema/transaction.js'

const WARM_UP_BATCHES = 60
const WARM_UP_BATCH_SIZE = 40

/**
 * Runs the scorer's hot path (parsing, features, the model) on made-up transactions before the
 * stream is read, with a feature state of its own that is then dropped: V8 optimises that code
 * after it has run a few thousand times, and without this the first second of a run measured
 * the compiler as much as the scorer. Nothing of it is decided, emitted or remembered.
 */
export async function warmUpCode(model: ScoreModel, shadow?: ScoreModel): Promise<void> {
  const step = new DecisionStep(model, undefined, shadow)
  const startedAt = Date.now() - 3_600_000
  let n = 0
  for (let batch = 0; batch < WARM_UP_BATCHES; batch++) {
    const transactions: Transaction[] = []
    for (let i = 0; i < WARM_UP_BATCH_SIZE; i++, n++) {
      const parsed = parseTransaction(Buffer.from(JSON.stringify(madeUp(n, startedAt))))
      if (!parsed.ok) throw new Error(`the scorer's warm-up made a transaction the schema refuses: ${parsed.reason}`)
      transactions.push(parsed.transaction)
    }
    await step.decideWithShadow(transactions)
  }
}

/** A transaction of every type and channel in turn, over a few dozen accounts, devices and places. */
function madeUp(n: number, startedAt: number): Transaction {
  const type = TRANSACTION_TYPES[n % TRANSACTION_TYPES.length]
  const channel = CHANNELS[n % CHANNELS.length]
  const card = type === 'PURCHASE'
  return {
    id: `warm-up-${n}`,
    eventTime: startedAt + n * 250,
    account: `warm-up-account-${n % 37}`,
    counterparty: card ? `warm-up-merchant-${n % 11}` : `warm-up-account-${(n * 7) % 37}`,
    type,
    amount: 5 + ((n * 7919) % 2_000),
    currency: 'USD',
    balances: { originBefore: 1_000, originAfter: 900, destinationBefore: 0, destinationAfter: 100 },
    device: `warm-up-device-${n % 23}`,
    ip: `10.0.${n % 7}.${n % 13}`,
    geo: { lat: 40 + (n % 5) * 0.1, lon: -74 + (n % 3) * 0.1 },
    channel,
    ...(card ? { card: `warm-up-card-${n % 29}`, merchantCategory: '5411', authResult: n % 17 === 0 ? ('declined' as const) : ('approved' as const) } : {}),
    accountCreatedAt: startedAt - 86_400_000 * (n % 400),
    ...(type === 'ACCOUNT_UPDATE' ? { update: 'device' as const } : {}),
  }
}
