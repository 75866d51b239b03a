import { z } from 'zod'
import { accuracyFrom } from '../metrics/accuracy.js'
import { accuracyBeforeAndAfter } from '../metrics/timeline.js'
import { summarizeAttacks } from '../report/run-summary.js'
import { SUMMARY_SCHEMA_VERSION, type LatencySummary, type RunSummary } from '../report/summary-schema.js'

/** The parts of k6's `--summary-export` file fraudlab reads (k6 writes more). */
const Trend = z.object({ avg: z.number(), med: z.number(), max: z.number(), 'p(90)': z.number(), 'p(95)': z.number(), 'p(99)': z.number(), 'p(99.9)': z.number().optional() })
const CounterMetric = z.object({ count: z.number(), rate: z.number() })
const RateMetric = z.object({ passes: z.number(), fails: z.number(), value: z.number() })
export const K6SummarySchema = z.object({ metrics: z.record(z.string(), z.unknown()) })

export interface K6ReportInputs {
  runId: string
  k6Summary: unknown
  where: string
  startedAtMs: number
  endedAtMs: number
  offeredTps: number
  durationMs: number
  batchSize: number
  config: Record<string, unknown>
  versions: Record<string, string>
  model: RunSummary['model']
  files: Record<string, string>
}

const EMPTY_LATENCY: LatencySummary = { count: 0, p50: NaN, p90: NaN, p95: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN }

/**
 * A fraudlab summary from a k6 run against `fraudlab serve`: latency is k6's http_req_duration
 * (the request's round trip, which is this pipeline's end to end), detection quality comes from
 * the counters the script keeps from each response and its label, and counts from k6's requests.
 */
export function buildK6Summary(input: K6ReportInputs): RunSummary {
  const parsed = K6SummarySchema.safeParse(input.k6Summary)
  if (!parsed.success) throw new Error(`${input.where} is not a k6 summary export (no metrics)`)
  const metrics = parsed.data.metrics
  const read = <T extends z.ZodType>(schema: T, name: string): z.infer<T> | undefined => {
    const result = schema.safeParse(metrics[name])
    return result.success ? result.data : undefined
  }
  const count = (name: string) => read(CounterMetric, name)?.count ?? 0
  const duration = read(Trend, 'http_req_duration')
  const requests = count('http_reqs')
  // k6's Rate counts true values as passes: for http_req_failed, a pass is a failed request.
  const failedRequests = read(RateMetric, 'http_req_failed')?.passes ?? 0
  const decided = count('transactions_scored')
  const positives = { truePositives: count('fraud_true_positives'), falsePositives: count('fraud_false_positives'), falseNegatives: count('fraud_false_negatives') }
  // The script emits samples for frauds and blocks only: every other scored transaction is a true negative.
  const confusion = { ...positives, trueNegatives: Math.max(0, decided - positives.truePositives - positives.falsePositives - positives.falseNegatives) }
  const scoredPerSecond = Math.round((read(CounterMetric, 'transactions_scored')?.rate ?? 0) * 10) / 10
  const lost = failedRequests * input.batchSize
  const endToEnd: LatencySummary = duration
    ? { count: requests, p50: duration.med, p90: duration['p(90)'], p95: duration['p(95)'], p99: duration['p(99)'], p999: duration['p(99.9)'] ?? NaN, max: duration.max, mean: duration.avg }
    : EMPTY_LATENCY
  const accuracyByArchetype: RunSummary['accuracyByArchetype'] = {}
  for (const name of Object.keys(metrics)) {
    const match = /^fraud_recall\{archetype:(.+)\}$/.exec(name)
    const rate = match && read(RateMetric, name)
    if (!match || !rate) continue
    const archetypeDecided = rate.passes + rate.fails
    const blocked = rate.passes
    accuracyByArchetype[match[1]] = {
      decided: archetypeDecided,
      blocked,
      recall: archetypeDecided ? blocked / archetypeDecided : NaN,
      precision: blocked + confusion.falsePositives ? blocked / (blocked + confusion.falsePositives) : NaN,
      prAuc: NaN,
    }
  }
  const notes = ["latency is k6's http_req_duration: the HTTP round trip to fraudlab serve, not the stream pipeline's stages"]
  const dropped = count('dropped_iterations') * input.batchSize
  if (dropped) notes.push(`k6 dropped ${dropped} transactions' requests: it had no free VU at their scheduled time`)
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: input.runId,
    command: 'k6',
    status: 'completed',
    startedAt: new Date(input.startedAtMs).toISOString(),
    endedAt: new Date(input.endedAtMs).toISOString(),
    config: input.config,
    versions: input.versions,
    model: input.model,
    counts: {
      emitted: decided + lost + dropped,
      dropped,
      late: 0,
      sent: decided + lost,
      failedToProduce: 0,
      decided,
      labelledFraud: confusion.truePositives + confusion.falseNegatives,
      lost,
      duplicated: 0,
      verdictChanges: 0,
      blocked: confusion.truePositives + confusion.falsePositives,
      reviewed: 0,
      rejected: 0,
      blockListItems: null,
      alertsReceived: null,
      alertsDuplicated: null,
      throttled: 0,
      retried: 0,
      scorerRestarts: 0,
      invalidRecords: 0,
    },
    reconciliation: { ok: lost === 0, missingCount: lost, missingIds: [], notes },
    throughput: {
      offeredTps: input.offeredTps,
      // k6 measures answered requests only: what was achieved is what was decided.
      achievedTps: scoredPerSecond,
      decidedTps: scoredPerSecond,
      loadDurationMs: Math.round(input.durationMs),
      windowMs: Math.round(input.durationMs),
    },
    timeline: { bucketMs: 1000, points: [] },
    accuracyOverTime: accuracyBeforeAndAfter([], 0),
    // k6 times each request from send to response, which is when the decision is made: both figures are that.
    latencyMs: {
      decision: endToEnd,
      decisionByArchetype: {},
      endToEnd,
      stages: { generatorLag: EMPTY_LATENCY, put: EMPTY_LATENCY, propagation: EMPTY_LATENCY, scoring: EMPTY_LATENCY, actions: EMPTY_LATENCY, collection: EMPTY_LATENCY },
      byArchetype: {},
    },
    accuracy: { ...accuracyFrom(confusion), prAuc: NaN, prCurve: [] },
    accuracyByArchetype,
    attacks: summarizeAttacks([]),
    thresholds: [],
    files: input.files,
    diagnostics: { k6: { requests, failedRequests, batchSize: input.batchSize } },
  }
}
