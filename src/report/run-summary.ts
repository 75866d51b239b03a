import { STAGES, type RunLedger } from '../collector/run-ledger.js'
import { accuracyFrom, type Accuracy } from '../metrics/accuracy.js'
import { summarize, encodeHistogram, type LatencySummaryMs } from '../metrics/latency.js'
import type { ThresholdResult } from './thresholds.js'

export const SUMMARY_SCHEMA_VERSION = 1

export type RunStatus = 'completed' | 'interrupted' | 'failed'

export interface RunCounts {
  /** Offered by the schedule: handed to the producer, or dropped. */
  emitted: number
  /** Not sent: the producer could not take them within --max-lateness of their scheduled time. */
  dropped: number
  /** Sent more than 50 ms after their scheduled time. */
  late: number
  /** Accepted by Kinesis. */
  sent: number
  /** Given up on by the producer after its retries (never silently dropped). */
  failedToProduce: number
  decided: number
  /** Sent transactions whose label says fraud (from the ledger; never from the stream). */
  labelledFraud: number
  /** Sent but never decided within the drain timeout. */
  lost: number
  duplicated: number
  /** Duplicates whose verdict differed from the first copy (replays after a scorer restart). */
  verdictChanges: number
  blocked: number
  reviewed: number
  rejected: number
  blockListItems: number | null
  alertsReceived: number | null
  alertsDuplicated: number | null
  throttled: number
  retried: number
  scorerRestarts: number
  invalidRecords: number
}

export interface RunSummary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION
  runId: string
  command: string
  status: RunStatus
  error?: string
  startedAt: string
  endedAt: string
  config: Record<string, unknown>
  versions: Record<string, string>
  counts: RunCounts
  reconciliation: { ok: boolean; missingCount: number; missingIds: string[]; notes: string[] }
  /** achievedTps: transactions Kinesis acknowledged within the offered window, per second of it. */
  throughput: { offeredTps: number; achievedTps: number; decidedTps: number; loadDurationMs: number; windowMs: number }
  latencyMs: {
    endToEnd: LatencySummaryMs
    stages: Record<'generatorLag' | 'put' | 'propagation' | 'scoring' | 'actions' | 'collection', LatencySummaryMs>
  }
  accuracy: Accuracy
  /**
   * Per fraud archetype: its decided transactions, those blocked, recall, and precision counting
   * every false positive against it (false positives belong to no archetype).
   */
  accuracyByArchetype: Record<string, ArchetypeAccuracy>
  /** Each threshold of the run (flags and scenario), evaluated on this summary. */
  thresholds: ThresholdResult[]
  histograms: { endToEnd: string }
  /** Scorer and producer figures that explain the counts. */
  diagnostics: Record<string, unknown>
}

export interface ArchetypeAccuracy {
  decided: number
  blocked: number
  recall: number
  precision: number
}

export interface SummaryInputs {
  ledger: RunLedger
  command: string
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
  blockListItems: number | null
  alertsObserved: boolean
  throttled: number
  retried: number
  scorerRestarts: number
  invalidRecords: number
  notes: string[]
  diagnostics: Record<string, unknown>
}

const MAX_LISTED_MISSING = 100

/** Builds the run's summary from the ledger's aggregates: a pure function, so every renderer agrees. */
export function buildRunSummary(input: SummaryInputs): RunSummary {
  const { ledger } = input
  const missingCount = ledger.undecided
  const loadDurationMs = Math.max(1, input.loadEndedAtMs - input.loadStartedAtMs)
  // Throughput over the offered window (k6 reports rates the same way): the acks of the final
  // flush after the window closes are counted as sent, not as throughput.
  const windowMs = Math.max(1, Math.min(input.offeredWindowMs, loadDurationMs))
  const notes = [...input.notes]
  if (input.blockListItems !== null && input.blockListItems !== ledger.blocked) notes.push(`BlockList holds ${input.blockListItems} items for this run but ${ledger.blocked} blocks were decided`)
  if (input.alertsObserved && ledger.alerts !== ledger.blocked) notes.push(`${ledger.alerts} alerts were received for ${ledger.blocked} blocks`)
  if (ledger.untimedDecisions) notes.push(`${ledger.untimedDecisions} decisions arrived too late to be timed`)
  const ok = missingCount === 0 && ledger.failed === 0 && notes.length === input.notes.length && input.status !== 'failed'
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: ledger.runId,
    command: input.command,
    status: input.status,
    ...(input.error ? { error: input.error } : {}),
    startedAt: new Date(input.startedAtMs).toISOString(),
    endedAt: new Date(input.endedAtMs).toISOString(),
    config: input.config,
    versions: input.versions,
    counts: {
      emitted: ledger.emitted,
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
      achievedTps: round(ledger.ackedInWindow / (windowMs / 1000)),
      decidedTps: round(ledger.decided / (Math.max(1, ledger.lastObservedAtMs - input.loadStartedAtMs) / 1000)),
      loadDurationMs: Math.round(loadDurationMs),
      windowMs: Math.round(windowMs),
    },
    latencyMs: {
      endToEnd: summarize(ledger.endToEnd),
      stages: Object.fromEntries(STAGES.map((name) => [name, summarize(ledger.stages[name])])) as RunSummary['latencyMs']['stages'],
    },
    accuracy: accuracyFrom(ledger.confusion),
    accuracyByArchetype: byArchetype(ledger),
    thresholds: [],
    histograms: { endToEnd: encodeHistogram(ledger.endToEnd) },
    diagnostics: { ...input.diagnostics, ledgerBytes: ledger.memoryBytes, ledgerInFlightSlots: ledger.inFlightCapacity },
  }
}

function byArchetype(ledger: RunLedger): Record<string, ArchetypeAccuracy> {
  const result: Record<string, ArchetypeAccuracy> = {}
  const falsePositives = ledger.confusion.falsePositives
  ledger.archetypes.forEach((name, code) => {
    if (code === 0) return
    const decided = ledger.decidedByArchetype[code] ?? 0
    const blocked = ledger.blockedByArchetype[code] ?? 0
    result[name] = { decided, blocked, recall: decided ? blocked / decided : NaN, precision: blocked + falsePositives ? blocked / (blocked + falsePositives) : NaN }
  })
  return result
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
