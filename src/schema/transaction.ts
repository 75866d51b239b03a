import { z } from 'zod'

/** PaySim's five types, card purchases, and non-monetary account changes (amount 0). */
export const TRANSACTION_TYPES = ['PAYMENT', 'TRANSFER', 'CASH_OUT', 'CASH_IN', 'DEBIT', 'PURCHASE', 'ACCOUNT_UPDATE'] as const
export const CHANNELS = ['mobile', 'web', 'pos', 'atm', 'branch'] as const

export const GeoSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
})

/** Account balances around the transaction, as PaySim records them. */
export const BalancesSchema = z.strictObject({
  originBefore: z.number().finite(),
  originAfter: z.number().finite(),
  destinationBefore: z.number().finite(),
  destinationAfter: z.number().finite(),
})

/**
 * The canonical transaction: exactly what travels on the transactions stream. It is strict on
 * purpose: labels (isFraud, archetype, attack id) live in the run ledger, and a record carrying
 * them, or any other unknown key, is rejected where it enters the scorer.
 */
export const TransactionSchema = z.strictObject({
  id: z.string().min(1).max(128),
  eventTime: z.number().int().nonnegative(),
  account: z.string().min(1).max(64),
  counterparty: z.string().min(1).max(64),
  type: z.enum(TRANSACTION_TYPES),
  amount: z.number().finite().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  balances: BalancesSchema.optional(),
  device: z.string().min(1).max(64).optional(),
  ip: z.string().min(1).max(64).optional(),
  geo: GeoSchema.optional(),
  channel: z.enum(CHANNELS),
  /** Card used (PURCHASE); `pos` and `atm` channels mean the card was present. */
  card: z.string().min(1).max(64).optional(),
  merchantCategory: z.string().regex(/^\d{4}$/).optional(),
  /** The issuer's answer to a card authorisation (observable, not a label). */
  authResult: z.enum(['approved', 'declined']).optional(),
  /** When the account was opened (epoch ms), as core banking systems enrich transactions. */
  accountCreatedAt: z.number().int().nonnegative().optional(),
  /** What an ACCOUNT_UPDATE changed. */
  update: z.enum(['contact', 'password', 'device']).optional(),
})

export type Transaction = z.infer<typeof TransactionSchema>
export type TransactionType = (typeof TRANSACTION_TYPES)[number]
export type Channel = (typeof CHANNELS)[number]
