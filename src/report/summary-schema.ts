import { z } from 'zod'
import { ModelCardSchema } from '../model/model-card.js'

/**
 * The version of `summary.json` and `histograms.json`. Bump it when a field changes meaning or
 * disappears; `report compare` and `report merge` refuse to mix versions.
 */
export const SUMMARY_SCHEMA_VERSION = 5

/** A figure that may have no value (no data, or a ratio with no denominator): null on disk, NaN in memory. */
const Metric = z.number().nullable()
const Count = z.number().int().nonnegative()

export const LatencySummarySchema = z.strictObject({
  count: Count,
  p50: Metric,
  p90: Metric,
  p95: Metric,
  p99: Metric,
  p999: Metric,
  max: Metric,
  mean: Metric,
})

const StageLatencies = z.strictObject({
  generatorLag: LatencySummarySchema,
  put: LatencySummarySchema,
  propagation: LatencySummarySchema,
  scoring: LatencySummarySchema,
  actions: LatencySummarySchema,
  collection: LatencySummarySchema,
})

export const RunCountsSchema = z.strictObject({
  emitted: Count.describe('Offered by the schedule: handed to the producer, or dropped.'),
  dropped: Count.describe('Not sent: the producer could not take them within --max-lateness of their scheduled time.'),
  late: Count.describe('Sent more than 50 ms after their scheduled time.'),
  sent: Count.describe('Accepted by Kinesis.'),
  failedToProduce: Count.describe('Given up on by the producer after its retries (never silently dropped).'),
  decided: Count,
  labelledFraud: Count.describe('Sent transactions whose label says fraud (from the ledger; never from the stream).'),
  lost: Count.describe('Sent but never decided within the drain timeout.'),
  duplicated: Count,
  verdictChanges: Count.describe('Duplicates whose verdict differed from the first copy (replays after a scorer restart).'),
  blocked: Count,
  reviewed: Count,
  rejected: Count,
  blockListItems: Count.nullable(),
  alertsReceived: Count.nullable(),
  alertsDuplicated: Count.nullable(),
  throttled: Count,
  retried: Count,
  scorerRestarts: Count,
  invalidRecords: Count.describe('Records that broke the contract: transactions the scorer could not read, and decisions fraudlab could not read (the notes give the first error).'),
})

const Confusion = {
  truePositives: Count,
  falsePositives: Count,
  trueNegatives: Count,
  falseNegatives: Count,
}

export const AccuracySchema = z.strictObject({
  ...Confusion,
  precision: Metric,
  recall: Metric,
  f1: Metric,
  falsePositiveRate: Metric,
  prAuc: Metric.describe('Average precision of the scores of the decided transactions.'),
  prCurve: z.array(z.tuple([z.number(), z.number()])).describe('[recall, precision] points from the highest score threshold down, at most 200.'),
})

export const ArchetypeAccuracySchema = z.strictObject({
  decided: Count,
  blocked: Count,
  recall: Metric,
  precision: Metric.describe('Blocks of this archetype over them plus every false positive (false positives belong to no archetype).'),
  prAuc: Metric.describe("This archetype's transactions against the genuine ones."),
})

export const ModelOutcomeSchema = z.strictObject({
  version: z.string(),
  blocked: Count,
  precision: Metric,
  recall: Metric,
  f1: Metric,
  prAuc: Metric,
  byArchetype: z.record(z.string(), ArchetypeAccuracySchema),
  modelMs: LatencySummarySchema.describe("Wall time of the model's call for the batch each transaction was scored in (features excluded)."),
})

export const ModelsComparisonSchema = z
  .strictObject({
    champion: ModelOutcomeSchema,
    shadow: ModelOutcomeSchema,
    agreement: z.strictObject({ sameVerdict: Metric, championOnlyBlocks: Count, shadowOnlyBlocks: Count }),
  })
  .describe('With --shadow-model: the champion, whose verdicts acted, against the shadow, whose verdicts were only recorded, on the same transactions.')

const TimeToDetect = z.strictObject({ count: Count, p50: Metric, p90: Metric, p99: Metric, max: Metric, mean: Metric })

export const AttackSchema = z.strictObject({
  attackId: z.string(),
  archetype: z.string(),
  transactions: Count,
  blocked: Count,
  startedAt: z.number(),
  timeToDetectMs: z.number().nullable(),
})

export const AttacksSchema = z.strictObject({
  total: Count,
  detected: Count,
  timeToDetectMs: TimeToDetect.describe("From an attack's first transaction (scheduled time) to its first block taking effect."),
  byArchetype: z.record(z.string(), z.strictObject({ total: Count, detected: Count, timeToDetectMs: TimeToDetect })),
  list: z.array(AttackSchema),
  listTruncated: z.boolean(),
})

export const TimelinePointSchema = z.strictObject({
  at: z.number().describe('Bucket start, epoch milliseconds.'),
  offered: Count,
  dropped: Count,
  sent: Count,
  decided: Count,
  blocked: Count,
  frauds: Count.describe('Fraud transactions scheduled in the bucket and decided (first verdict).'),
  caught: Count.describe('Of those, blocked.'),
  falsePositives: Count.describe('Genuine transactions scheduled in the bucket and blocked (first verdict).'),
  recall: Metric.describe('caught / frauds of the bucket; null without frauds.'),
  precision: Metric.describe('caught / (caught + falsePositives) of the bucket; null without blocks.'),
  archetypes: z
    .record(z.string(), z.strictObject({ frauds: Count, caught: Count, recall: Metric }))
    .describe('Per fraud archetype: its frauds scheduled in the bucket, those blocked, and recall (so a drift shows as a drop over time).'),
  decision: z.strictObject({ count: Count, p50: Metric, p90: Metric, p99: Metric, max: Metric }).describe('Decision latency of the transactions scheduled in the bucket.'),
})

const PeriodAccuracySchema = z.strictObject({ frauds: Count, caught: Count, falsePositives: Count, recall: Metric, precision: Metric })

export const ThresholdResultSchema = z.strictObject({
  expression: z.string(),
  source: z.enum(['flag', 'scenario']),
  actual: z.number().nullable(),
  ok: z.boolean(),
})

const FaultCountsSchema = z.strictObject({
  limitThrottled: Count.describe("Records and calls refused by the emulator's per-shard limits."),
  injected: Count.describe('Records, calls or publishes refused or failed by an injected fault.'),
  delayed: Count.describe('Responses delayed by an injected latency.'),
})

export const FaultsSchema = z
  .strictObject({
    kinesisLimits: z.boolean().describe("Whether the embedded Kinesis enforced AWS' per-shard limits."),
    injected: z.array(z.string()).describe('The --inject faults, as given.'),
    kinesis: FaultCountsSchema.nullable(),
    dynamodb: FaultCountsSchema.nullable(),
    sns: FaultCountsSchema.nullable(),
    scorerCrashes: Count.describe('Scorer processes killed by --inject scorer.crash.'),
  })
  .describe('Limits and faults of the embedded stack, as its emulators counted them (null: not an embedded target).')

export const RunSummarySchema = z.strictObject({
  schemaVersion: z.literal(SUMMARY_SCHEMA_VERSION),
  runId: z.string().min(1),
  command: z.enum(['simulate', 'replay', 'merge', 'k6']),
  status: z
    .enum(['completed', 'over-capacity', 'interrupted', 'failed'])
    .describe('over-capacity: the run completed and reconciled, but transactions were dropped or Kinesis acknowledged under 95% of the offered rate.'),
  error: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  /** For a merged report: the runs it merged. */
  mergedFrom: z.array(z.string()).optional(),
  config: z.record(z.string(), z.unknown()),
  versions: z.record(z.string(), z.string()),
  model: z.strictObject({ path: z.string(), version: z.string(), card: ModelCardSchema.nullable() }).nullable(),
  counts: RunCountsSchema,
  reconciliation: z.strictObject({ ok: z.boolean(), missingCount: Count, missingIds: z.array(z.string()), notes: z.array(z.string()) }),
  throughput: z.strictObject({
    offeredTps: z.number(),
    achievedTps: z.number().describe('Transactions Kinesis acknowledged per second of the offered window, counted over a window as long moved by the median time from schedule to ack.'),
    decidedTps: z.number(),
    loadDurationMs: z.number(),
    windowMs: z.number(),
  }),
  timeline: z.strictObject({ bucketMs: z.number().int().positive(), points: z.array(TimelinePointSchema) }),
  latencyMs: z.strictObject({
    decision: LatencySummarySchema.describe('From the scheduled send time until the decision took effect (BlockList written and alert published for a block, decision written otherwise): the headline.'),
    decisionByArchetype: z.record(z.string(), LatencySummarySchema),
    endToEnd: LatencySummarySchema.describe('From the scheduled send time until the collector observed the decision on the decisions stream (decision latency plus collection).'),
    stages: StageLatencies,
    byArchetype: z.record(z.string(), LatencySummarySchema).describe('End to end (observed), per archetype.'),
  }),
  accuracy: AccuracySchema,
  accuracyByArchetype: z.record(z.string(), ArchetypeAccuracySchema),
  accuracyOverTime: z
    .strictObject({ firstMs: Count, first: PeriodAccuracySchema, rest: PeriodAccuracySchema })
    .describe('Detection in the first minute of the load (the first quarter of a shorter one), by scheduled time, against the rest: a cold feature state shows in the first part.'),
  models: ModelsComparisonSchema.optional(),
  attacks: AttacksSchema,
  thresholds: z.array(ThresholdResultSchema),
  faults: FaultsSchema.optional(),
  files: z.record(z.string(), z.string()).describe('The files of this report, by kind.'),
  diagnostics: z.record(z.string(), z.unknown()).describe('Scorer and producer figures that explain the counts.'),
})

export type RunSummary = z.infer<typeof RunSummarySchema>
export type RunCounts = z.infer<typeof RunCountsSchema>
export type LatencySummary = z.infer<typeof LatencySummarySchema>
export type ArchetypeAccuracy = z.infer<typeof ArchetypeAccuracySchema>
export type AttacksSummary = z.infer<typeof AttacksSchema>
export type ModelOutcome = z.infer<typeof ModelOutcomeSchema>
export type ModelsComparison = z.infer<typeof ModelsComparisonSchema>
export type RunStatus = RunSummary['status']

/** The JSON Schema committed as `reports/summary.schema.json` (a test keeps the two equal). */
export function summaryJsonSchema(): unknown {
  return {
    ...z.toJSONSchema(RunSummarySchema, { target: 'draft-2020-12', unrepresentable: 'any', reused: 'ref' }),
    $id: `https://fraudlab.dev/schemas/summary-v${SUMMARY_SCHEMA_VERSION}.json`,
    title: `fraudlab run summary, version ${SUMMARY_SCHEMA_VERSION}`,
  }
}
