import { z } from 'zod'

export const VERDICTS = ['allow', 'review', 'block', 'reject'] as const

/** Epoch milliseconds (fractional) at which the transaction passed each scorer-side stage. */
export const ScorerTimestampsSchema = z.strictObject({
  /** Kinesis' ApproximateArrivalTimestamp of the record (millisecond resolution). */
  arrivedAt: z.number().nonnegative(),
  fetchedAt: z.number().nonnegative(),
  scoredAt: z.number().nonnegative(),
  actedAt: z.number().nonnegative(),
})

/** What a shadow (challenger) model said about the transaction: recorded, never acted on. */
export const ShadowVerdictSchema = z.strictObject({
  modelVersion: z.string().min(1).max(64),
  score: z.number().min(0).max(1),
  verdict: z.enum(VERDICTS),
  /** Wall time of the shadow model's call for the batch this transaction was scored in. */
  modelMs: z.number().nonnegative(),
})

/**
 * What the scorer decided about one transaction; written to the decisions stream. A `reject`
 * verdict means the record could not be read as a transaction (its reasons say why).
 */
export const DecisionSchema = z.strictObject({
  transactionId: z.string().min(1).max(128),
  score: z.number().min(0).max(1),
  verdict: z.enum(VERDICTS),
  reasons: z.array(z.string().max(200)).max(20),
  modelVersion: z.string().min(1).max(64),
  scorerId: z.string().min(1).max(64),
  timestamps: ScorerTimestampsSchema,
  /** Wall time of the model's call for the batch this transaction was scored in (features excluded). */
  modelMs: z.number().nonnegative().optional(),
  shadow: ShadowVerdictSchema.optional(),
})

export type Decision = z.infer<typeof DecisionSchema>
export type Verdict = (typeof VERDICTS)[number]
export type ScorerTimestamps = z.infer<typeof ScorerTimestampsSchema>
export type ShadowVerdict = z.infer<typeof ShadowVerdictSchema>

/** A verdict as one byte, for the ledger's typed columns and the decision log. */
export const VERDICT_CODES: Record<Verdict, number> = { allow: 1, review: 2, block: 3, reject: 4 }
