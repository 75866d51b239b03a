import type { Histogram } from 'hdr-histogram-js'
import type { AttackRecord } from '../collector/attack-tracker.js'
import type { RunLedger } from '../collector/run-ledger.js'
import { STAGES, type Stage } from '../schema/stages.js'
import { accuracyFrom, type ConfusionMatrix } from '../metrics/accuracy.js'
import { summarize } from '../metrics/latency.js'
import { accuracyBeforeAndAfter, coldStartWindowMs } from '../metrics/timeline.js'
import { prAuc, prCurve } from '../metrics/score-ranking.js'
import type { ModelCard } from '../model/model-card.js'
import type { RunHistograms } from './histogram-file.js'
import { archetypeAccuracy, archetypePrAuc, compareModels, type ArchetypeCount } from './model-comparison.js'
import { SUMMARY_SCHEMA_VERSION, type AttacksSummary, type RunStatus, type RunSummary } from './summary-schema.js'

export { SUMMARY_SCHEMA_VERSION, type RunStatus, type RunSummary } from './summary-schema.js'
export { archetypeAccuracy, archetypePrAuc, type ArchetypeCount } from './model-comparison.js'

export interface SummaryInputs {
  ledger: RunLedger
  command: 'simulate' | 'replay'
  status: RunStatus
  error?: string
  startedAtMs: number
  endedAtMs: number
  loadStartedAtMs: number
  loadEndedAtMs: number
  offeredTps: number
  /** The load window the plan offered (the run's duration). */
  offeredWindowMs: number
  late: number
  config: Record<string, unknown>
  versions: Record<string, string>
  model: { path: string; version: string; card: ModelCard | null } | null
  blockListItems: number | null
  alertsObserved: boolean
  throttled: number
  retried: number
  scorerRestarts: number
  invalidRecords: number
  notes: string[]
  files: Record<string, string>
  diagnostics: Record<string, unknown>
}

const MAX_LISTED_MISSING = 100
/** Attacks listed one by one in the summary; the aggregates always cover all of them. */
export const MAX_LISTED_ATTACKS = 10_000

/** Below this share of the offered rate acknowledged, a run that was not dropping is still over capacity. */
const OVER_CAPACITY_SHARE = 0.95

/**
 * The pipeline could not take the offered load: transactions were dropped, or Kinesis acknowledged
 * well under the offered rate (a replay paced by its file has no offered rate to fall short of).
 */
function overCapacity(dropped: number, achievedTps: number, offeredTps: number, offeredWindowMs: number): boolean {
  return dropped > 0 || (Number.isFinite(offeredWindowMs) && offeredTps > 0 && achievedTps < offeredTps * OVER_CAPACITY_SHARE)
}

/** Builds the run's summary from the ledger's aggregates: a pure function, so every renderer agrees. */
export function buildRunSummary(input: SummaryInputs): RunSummary {
  const { ledger } = input
  const missingCount = ledger.undecided
  const loadDurationMs = Math.max(1, input.loadEndedAtMs - input.loadStartedAtMs)
  const timeline = ledger.timeline.summarize()
  // Throughput over the offered window (k6 reports rates the same way), counted over a window as long
  // moved by the median schedule-to-ack time: a backend that keeps up reads the offered rate, however slowly it acks.
  const windowMs = Math.max(1, Math.min(input.offeredWindowMs, loadDurationMs))
  const notes = [...input.notes]
  if (input.blockListItems !== null && input.blockListItems !== ledger.blocked) notes.push(`BlockList holds ${input.blockListItems} items for this run but ${ledger.blocked} blocks were decided`)
  if (input.alertsObserved && ledger.alerts !== ledger.blocked) notes.push(`${ledger.alerts} alerts were received for ${ledger.blocked} blocks`)
  if (ledger.untimedDecisions) notes.push(`${ledger.untimedDecisions} decisions arrived too late to be timed`)
  const ok = missingCount === 0 && ledger.failed === 0 && notes.length === input.notes.length && input.status !== 'failed'
  // Said, but no reconciliation failure: the decisions are all there, only timed differently.
  if (ledger.decisionsTimedWhenRead) notes.push(`${ledger.decisionsTimedWhenRead} decisions carried no timestamps.actedAt: their decision latency is when fraudlab read them (it includes the decisions stream's propagation)`)
  const scored = ledger.scoredDecisions()
  const achievedTps = round(ledger.ackedOverLoad(input.loadStartedAtMs, input.loadEndedAtMs) / (windowMs / 1000))
  const archetypes = archetypeCounts(ledger)
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: ledger.runId,
    command: input.command,
    status: input.status === 'completed' && overCapacity(ledger.droppedCount, achievedTps, input.offeredTps, input.offeredWindowMs) ? 'over-capacity' : input.status,
    ...(input.error ? { error: input.error } : {}),
    startedAt: new Date(input.startedAtMs).toISOString(),
    endedAt: new Date(input.endedAtMs).toISOString(),
    config: input.config,
    versions: input.versions,
    model: input.model,
    counts: {
      emitted: ledger.emittedHere,
      dropped: ledger.droppedCount,
      late: input.late,
      sent: ledger.acked,
      failedToProduce: ledger.failed,
      decided: ledger.decided,
      labelledFraud: ledger.labelledFraud,
      lost: missingCount,
      duplicated: ledger.duplicateDecisions,
      verdictChanges: ledger.verdictChanges,
      blocked: ledger.blocked,
      reviewed: ledger.reviewed,
      rejected: ledger.rejected,
      blockListItems: input.blockListItems,
      alertsReceived: input.alertsObserved ? ledger.alerts : null,
      alertsDuplicated: input.alertsObserved ? ledger.duplicateAlerts : null,
      throttled: input.throttled,
      retried: input.retried,
      scorerRestarts: input.scorerRestarts,
      invalidRecords: input.invalidRecords,
    },
    reconciliation: { ok, missingCount, missingIds: ledger.undecidedIds(MAX_LISTED_MISSING), notes },
    throughput: {
      offeredTps: input.offeredTps,
      achievedTps,
      decidedTps: round(ledger.decided / (Math.max(1, ledger.lastObservedAtMs - input.loadStartedAtMs) / 1000)),
      loadDurationMs: Math.round(loadDurationMs),
      windowMs: Math.round(windowMs),
    },
    timeline,
    latencyMs: summarizeLatencies(ledgerHistograms(ledger)),
    accuracy: accuracyWithScores(ledger.confusion, scored.scores, scored.labels),
    accuracyByArchetype: archetypeAccuracy(archetypes, ledger.confusion.falsePositives, (code) => archetypePrAuc(scored, code)),
    accuracyOverTime: accuracyBeforeAndAfter(timeline.points, coldStartWindowMs(timeline.bucketMs, loadDurationMs)),
    ...(scored.shadow && ledger.shadow
      ? { models: compareModels({ ...scored, shadow: scored.shadow }, ledger.archetypes, { version: input.model?.version ?? '', modelLatency: ledger.modelLatency }, ledger.shadow) }
      : {}),
    attacks: summarizeAttacks(ledger.attacks.records()),
    thresholds: [],
    files: input.files,
    diagnostics: { ...input.diagnostics, ledgerBytes: ledger.memoryBytes, ledgerInFlightSlots: ledger.inFlightCapacity },
  }
}

/** The ledger's histograms, keyed as the histograms file keys them. */
export function ledgerHistograms(ledger: RunLedger): RunHistograms {
  const byArchetype: Record<string, Histogram> = {}
  const decisionByArchetype: Record<string, Histogram> = {}
  ledger.archetypes.forEach((name, code) => {
    if (ledger.endToEndByArchetype[code]?.totalCount) byArchetype[name] = ledger.endToEndByArchetype[code]
    if (ledger.decisionByArchetype[code]?.totalCount) decisionByArchetype[name] = ledger.decisionByArchetype[code]
  })
  return {
    decision: ledger.decision,
    decisionByArchetype,
    endToEnd: ledger.endToEnd,
    stages: ledger.stages,
    byArchetype,
    timeline: { bucketMs: ledger.timeline.bucketMs, buckets: ledger.timeline.points().map(({ at, latency }) => ({ at, histogram: latency })) },
  }
}

export function summarizeLatencies(histograms: Omit<RunHistograms, 'timeline'>): RunSummary['latencyMs'] {
  const byName = (histograms: Record<string, Histogram>) => Object.fromEntries(Object.entries(histograms).map(([name, histogram]) => [name, summarize(histogram)]))
  return {
    decision: summarize(histograms.decision),
    decisionByArchetype: byName(histograms.decisionByArchetype),
    endToEnd: summarize(histograms.endToEnd),
    stages: Object.fromEntries(STAGES.map((name) => [name, summarize(histograms.stages[name as Stage])])) as RunSummary['latencyMs']['stages'],
    byArchetype: byName(histograms.byArchetype),
  }
}

function archetypeCounts(ledger: RunLedger): ArchetypeCount[] {
  return ledger.archetypes.map((name, code) => ({ code, name, decided: ledger.decidedByArchetype[code] ?? 0, blocked: ledger.blockedByArchetype[code] ?? 0 }))
}


export function summarizeAttacks(records: AttackRecord[]): AttacksSummary {
  const byArchetype: AttacksSummary['byArchetype'] = {}
  const groups = new Map<string, AttackRecord[]>()
  for (const record of records) {
    const group = groups.get(record.archetype)
    if (group) group.push(record)
    else groups.set(record.archetype, [record])
  }
  for (const [archetype, group] of groups) byArchetype[archetype] = attackGroup(group)
  const all = attackGroup(records)
  const list = [...records].sort((a, b) => a.startedAt - b.startedAt)
  return { ...all, byArchetype, list: list.slice(0, MAX_LISTED_ATTACKS), listTruncated: list.length > MAX_LISTED_ATTACKS }
}

function attackGroup(records: AttackRecord[]): AttacksSummary['byArchetype'][string] {
  const times = records.flatMap((r) => (r.timeToDetectMs === null ? [] : [r.timeToDetectMs])).sort((a, b) => a - b)
  return { total: records.length, detected: times.length, timeToDetectMs: distribution(times) }
}

/**
 * Exact percentiles of a small sorted sample (nearest rank, as HDR reports them: the smallest value
 * with at least p% of the sample at or below it).
 */
export function distribution(sorted: number[]): AttacksSummary['timeToDetectMs'] {
  const n = sorted.length
  if (n === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN }
  const at = (p: number) => round(sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)])
  return { count: n, p50: at(50), p90: at(90), p99: at(99), max: round(sorted[n - 1]), mean: round(sorted.reduce((sum, v) => sum + v, 0) / n) }
}

export function accuracyWithScores(confusion: ConfusionMatrix, scores: ArrayLike<number>, labels: ArrayLike<number>): RunSummary['accuracy'] {
  return { ...accuracyFrom(confusion), prAuc: prAuc(scores, labels), prCurve: prCurve(scores, labels) }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
