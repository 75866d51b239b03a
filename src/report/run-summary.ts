import { VERDICT_CODES, type RunLedger } from '../collector/run-ledger.js'
import { accuracyFrom, type Accuracy } from '../metrics/accuracy.js'
import { newLatencyHistogram, recordMs, summarize, encodeHistogram, type LatencySummaryMs } from '../metrics/latency.js'

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
  histograms: { endToEnd: string }
  /** Scorer and producer figures that explain the counts. */
  diagnostics: Record<string, unknown>
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

/** Builds the run's summary from the ledger: a pure function, so every renderer agrees. */
export function buildRunSummary(input: SummaryInputs): RunSummary {
  const { ledger } = input
  const endToEnd = newLatencyHistogram()
  const stageNames = ['generatorLag', 'put', 'propagation', 'scoring', 'actions', 'collection'] as const
  const stages = Object.fromEntries(stageNames.map((name) => [name, newLatencyHistogram()])) as Record<(typeof stageNames)[number], ReturnType<typeof newLatencyHistogram>>
  const matrix = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 }
  let blocked = 0
  let reviewed = 0
  let rejected = 0
  let lastObservedAt = 0
  // Throughput over the offered window (k6 reports rates the same way): the acks of the final
  // flush after the window closes are counted as sent, not as throughput.
  const windowMs = Math.max(1, Math.min(input.offeredWindowMs, input.loadEndedAtMs - input.loadStartedAtMs))
  const windowEndsAt = input.loadStartedAtMs + windowMs
  let ackedInWindow = 0
  let labelledFraud = 0
  for (let i = 0; i < ledger.emitted; i++) {
    if (ledger.ackedAt[i] > 0 && ledger.ackedAt[i] <= windowEndsAt) ackedInWindow++
    if (ledger.ackedAt[i] > 0 && ledger.isFraud[i] === 1) labelledFraud++
    if (ledger.sentAt[i] > 0) recordMs(stages.generatorLag, ledger.sentAt[i] - ledger.scheduledAt[i])
    if (ledger.ackedAt[i] > 0) recordMs(stages.put, ledger.ackedAt[i] - ledger.sentAt[i])
    const verdict = ledger.verdict[i]
    if (verdict === 0) continue
    recordMs(endToEnd, ledger.observedAt[i] - ledger.scheduledAt[i])
    // Kinesis' arrival timestamp has millisecond resolution and another process' clock: clamp at 0.
    recordMs(stages.propagation, Math.max(0, ledger.fetchedAt[i] - ledger.ackedAt[i]))
    recordMs(stages.scoring, ledger.scoredAt[i] - ledger.fetchedAt[i])
    recordMs(stages.actions, ledger.actedAt[i] - ledger.scoredAt[i])
    recordMs(stages.collection, Math.max(0, ledger.observedAt[i] - ledger.actedAt[i]))
    lastObservedAt = Math.max(lastObservedAt, ledger.observedAt[i])
    if (verdict === VERDICT_CODES.block) blocked++
    else if (verdict === VERDICT_CODES.review) reviewed++
    else if (verdict === VERDICT_CODES.reject) rejected++
    const flagged = verdict === VERDICT_CODES.block
    const fraud = ledger.isFraud[i] === 1
    if (fraud && flagged) matrix.truePositives++
    else if (fraud) matrix.falseNegatives++
    else if (flagged) matrix.falsePositives++
    else matrix.trueNegatives++
  }
  const missingCount = ledger.undecided
  const loadDurationMs = Math.max(1, input.loadEndedAtMs - input.loadStartedAtMs)
  const notes = [...input.notes]
  if (input.blockListItems !== null && input.blockListItems !== blocked) notes.push(`BlockList holds ${input.blockListItems} items for this run but ${blocked} blocks were decided`)
  if (input.alertsObserved && ledger.alerts !== blocked) notes.push(`${ledger.alerts} alerts were received for ${blocked} blocks`)
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
      labelledFraud,
      lost: missingCount,
      duplicated: ledger.duplicateDecisions,
      verdictChanges: ledger.verdictChanges,
      blocked,
      reviewed,
      rejected,
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
      achievedTps: round(ackedInWindow / (windowMs / 1000)),
      decidedTps: round(ledger.decided / (Math.max(1, lastObservedAt - input.loadStartedAtMs) / 1000)),
      loadDurationMs: Math.round(loadDurationMs),
      windowMs: Math.round(windowMs),
    },
    latencyMs: {
      endToEnd: summarize(endToEnd),
      stages: Object.fromEntries(stageNames.map((name) => [name, summarize(stages[name])])) as RunSummary['latencyMs']['stages'],
    },
    accuracy: accuracyFrom(matrix),
    histograms: { endToEnd: encodeHistogram(endToEnd) },
    diagnostics: input.diagnostics,
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
