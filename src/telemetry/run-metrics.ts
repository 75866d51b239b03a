import type { Histogram as HdrHistogram } from 'hdr-histogram-js'
import type { RunTelemetrySource } from '../run/run-telemetry.js'
import { STAGES } from '../schema/stages.js'

/** Upper bounds (seconds) of the latency histograms' buckets: fine around the 100–250 ms that matter here. */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 2.5, 5, 10]

export type Labels = Record<string, string>

export interface HistogramValue {
  /** Counts per bucket, not cumulative: one more than the bounds (the last is above the highest bound). */
  counts: number[]
  sum: number
  count: number
}

/** One metric of a run, as both outputs write it (Prometheus text, OTLP). */
export type RunMetric =
  | { name: string; help: string; unit: string; kind: 'counter' | 'gauge'; points: Array<{ labels: Labels; value: number }> }
  | { name: string; help: string; unit: string; kind: 'histogram'; bounds: number[]; points: Array<{ labels: Labels; value: HistogramValue }> }

/**
 * Every metric a run exports, read from one snapshot of it. Counters are the run's totals so far;
 * the latency histograms are the ledger's own (decision latency from the scheduled send time, and
 * each stage), so their percentiles are the report's. Every series carries `run_id`.
 */
export function runMetrics(source: RunTelemetrySource): RunMetric[] {
  const status = source.status()
  const run = { run_id: source.runId }
  const one = (value: number) => [{ labels: run, value }]
  const lastRate = (history: number[]) => history.at(-1) ?? 0
  const d = status.decisions
  const p = status.problems
  return [
    { name: 'fraudlab_run_info', help: 'The run: its command, scenario or dataset, target and phase (value 1).', unit: '', kind: 'gauge', points: [{ labels: { ...run, command: status.command, title: status.title, target: status.target, phase: status.phase }, value: 1 }] },
    { name: 'fraudlab_transactions_offered_total', help: 'Transactions the schedule offered (sent or dropped).', unit: '', kind: 'counter', points: one(status.emitted) },
    { name: 'fraudlab_transactions_sent_total', help: 'Transactions Kinesis acknowledged.', unit: '', kind: 'counter', points: one(source.ledger.acked) },
    { name: 'fraudlab_transactions_decided_total', help: 'Transactions decided (first decision of each).', unit: '', kind: 'counter', points: one(d.decided) },
    { name: 'fraudlab_transactions_blocked_total', help: 'Transactions blocked.', unit: '', kind: 'counter', points: one(d.blocked) },
    { name: 'fraudlab_transactions_dropped_total', help: 'Transactions dropped: they could not be sent within --max-lateness of their time.', unit: '', kind: 'counter', points: one(p.dropped) },
    { name: 'fraudlab_transactions_failed_total', help: 'Transactions Kinesis refused after every retry.', unit: '', kind: 'counter', points: one(p.failedToProduce) },
    { name: 'fraudlab_offered_rate', help: 'Transactions offered in the last complete second.', unit: '1/s', kind: 'gauge', points: one(lastRate(status.throughput.offeredHistory)) },
    { name: 'fraudlab_sent_rate', help: 'Transactions acknowledged by Kinesis in the last complete second.', unit: '1/s', kind: 'gauge', points: one(lastRate(status.throughput.achievedHistory)) },
    { name: 'fraudlab_decided_rate', help: 'Transactions decided in the last complete second.', unit: '1/s', kind: 'gauge', points: one(lastRate(status.throughput.decidedHistory)) },
    latencyHistogram('fraudlab_decision_latency_seconds', 'Decision latency: from the scheduled send time until the decision took effect.', [{ labels: run, histogram: source.ledger.decision }]),
    latencyHistogram(
      'fraudlab_stage_latency_seconds',
      'Time spent in each stage (generatorLag, put, propagation, scoring, actions, collection).',
      STAGES.map((stage) => ({ labels: { ...run, stage }, histogram: source.ledger.stages[stage] })),
    ),
    {
      name: 'fraudlab_decisions_total',
      help: 'Decided transactions by outcome against their labels: tp, fp, tn, fn (a block is a positive).',
      unit: '',
      kind: 'counter',
      points: [
        { labels: { ...run, outcome: 'tp' }, value: d.truePositives },
        { labels: { ...run, outcome: 'fp' }, value: d.falsePositives },
        { labels: { ...run, outcome: 'tn' }, value: d.trueNegatives },
        { labels: { ...run, outcome: 'fn' }, value: d.falseNegatives },
      ],
    },
    { name: 'fraudlab_precision', help: 'Precision so far (NaN before the first block).', unit: '', kind: 'gauge', points: one(d.precision) },
    { name: 'fraudlab_recall', help: 'Recall so far (NaN before the first fraud).', unit: '', kind: 'gauge', points: one(d.recall) },
    { name: 'fraudlab_archetype_recall', help: 'Recall per fraud archetype so far.', unit: '', kind: 'gauge', points: d.byArchetype.map((a) => ({ labels: { ...run, archetype: a.name }, value: a.recall })) },
    {
      name: 'fraudlab_shard_lag_milliseconds',
      help: "How far behind the newest record the scorer's reader of each shard is (MillisBehindLatest).",
      unit: 'ms',
      kind: 'gauge',
      points: Object.entries(status.lag.millisBehindLatest).map(([shard, value]) => ({ labels: { ...run, shard }, value })),
    },
    { name: 'fraudlab_pending_decisions', help: 'Transactions Kinesis acknowledged and not yet decided.', unit: '', kind: 'gauge', points: one(status.lag.pending) },
    { name: 'fraudlab_throttled_total', help: 'AWS calls refused for throughput (each try), producer and scorer.', unit: '', kind: 'counter', points: one(p.throttled) },
    { name: 'fraudlab_retries_total', help: 'AWS calls retried, producer and scorer.', unit: '', kind: 'counter', points: one(p.retried) },
    { name: 'fraudlab_scorer_restarts_total', help: 'Scorer processes restarted after they died (injected crashes included).', unit: '', kind: 'counter', points: one(p.scorerRestarts) },
    { name: 'fraudlab_invalid_records_total', help: 'Records the scorer refused as invalid.', unit: '', kind: 'counter', points: one(p.invalidRecords) },
  ]
}

function latencyHistogram(name: string, help: string, series: Array<{ labels: Labels; histogram: HdrHistogram }>): RunMetric {
  return { name, help, unit: 's', kind: 'histogram', bounds: LATENCY_BUCKETS_SECONDS, points: series.map(({ labels, histogram }) => ({ labels, value: bucketsOf(histogram) })) }
}

interface RecordedValues {
  reset(): void
  hasNext(): boolean
  next(): { valueIteratedTo: number; countAtValueIteratedTo: number }
}

/** An HDR histogram (microseconds) in the latency buckets: exact up to HDR's 3 significant digits. */
export function bucketsOf(histogram: HdrHistogram): HistogramValue {
  const counts = new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0)
  // Every HDR histogram fraudlab builds is a JsHistogram, which iterates its recorded values.
  const values = (histogram as unknown as { recordedValuesIterator: RecordedValues }).recordedValuesIterator
  values.reset()
  while (values.hasNext()) {
    const { valueIteratedTo, countAtValueIteratedTo } = values.next()
    const seconds = valueIteratedTo / 1e6
    let bucket = 0
    while (bucket < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[bucket]) bucket++
    counts[bucket] += countAtValueIteratedTo
  }
  return { counts, count: histogram.totalCount, sum: histogram.totalCount === 0 ? 0 : (histogram.mean * histogram.totalCount) / 1e6 }
}
