import { z } from 'zod'

export const VERDICTS = ['allow', 'review', 'block', 'reject'] as const

/**
 * Epoch milliseconds (fractional) at which the transaction passed each scorer-side stage.
 * fraudlab's scorer writes all four; another scorer writes those it knows, and fraudlab times
 * the stages it can from them.
 */
export const ScorerTimestampsSchema = z.strictObject({
  /** Kinesis' ApproximateArrivalTimestamp of the record (millisecond resolution). */
  arrivedAt: z.number().nonnegative().optional().describe("Kinesis' ApproximateArrivalTimestamp of the transaction record."),
  fetchedAt: z.number().nonnegative().optional().describe('When the scorer read the record from the stream.'),
  scoredAt: z.number().nonnegative().optional().describe('When the model had scored it.'),
  actedAt: z.number().nonnegative().optional().describe("When its effects (BlockList item, alert) were done: the decision's time. Without it, fraudlab times the decision when it reads it."),
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
 * What a scorer decided about one transaction; written to the decisions stream, one JSON object
 * per record (or KPL-aggregated). It is the published contract (docs/scorer-contract.md): any
 * scorer fraudlab tests writes this. A `reject` verdict means the record could not be read as a
 * transaction (its reasons say why).
 */
export const DecisionSchema = z.strictObject({
  transactionId: z.string().min(1).max(128).describe("The transaction's id, as it arrived."),
  score: z.number().min(0).max(1).describe('The fraud score, from 0 (genuine) to 1.'),
  verdict: z.enum(VERDICTS),
  reasons: z.array(z.string().max(200)).max(20).optional(),
  modelVersion: z.string().min(1).max(64).optional(),
  scorerId: z.string().min(1).max(64).optional(),
  timestamps: ScorerTimestampsSchema.optional(),
  /** Wall time of the model's call for the batch this transaction was scored in (features excluded). */
  modelMs: z.number().nonnegative().optional(),
  shadow: ShadowVerdictSchema.optional(),
})

export type Decision = z.infer<typeof DecisionSchema>
/** A decision as fraudlab's own scorer makes it: every optional field filled. */
export type ScorerDecision = Decision & { reasons: string[]; modelVersion: string; scorerId: string; timestamps: Required<ScorerTimestamps> }
export type Verdict = (typeof VERDICTS)[number]
export type ScorerTimestamps = z.infer<typeof ScorerTimestampsSchema>
export type ShadowVerdict = z.infer<typeof ShadowVerdictSchema>

/** A verdict as one byte, for the ledger's typed columns and the decision log. */
export const VERDICT_CODES: Record<Verdict, number> = { allow: 1, review: 2, block: 3, reject: 4 }
