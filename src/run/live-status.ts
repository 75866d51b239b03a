import { LIVE_SERIES, percentiles, type LiveSeries, type RecentBlock, type WindowPercentiles } from '../collector/live-window.js'
import type { RunLedger } from '../collector/run-ledger.js'
import { accuracyFrom } from '../metrics/accuracy.js'
import type { ProducerStats } from '../stream/batching-producer.js'
import type { ScorerStats } from '../scorer/scorer-service.js'

export type RunPhase = 'starting' | 'load' | 'draining' | 'finishing'

/** What the live view shows, published a few times a second; plain data, so rendering never touches the run. */
export interface LiveStatus {
  runId: string
  command: string
  /** Scenario or dataset, as the run describes itself. */
  title: string
  target: string
  seed: number | null
  phase: RunPhase
  paused: boolean
  stopping: boolean
  elapsedMs: number
  /** The offered load window; Infinity when the source decides (a file). */
  plannedMs: number
  emitted: number
  expected: number
  throughput: {
    offeredTps: number
    /** Per second, oldest first: what the schedule offered and what Kinesis acknowledged. */
    offeredHistory: number[]
    achievedHistory: number[]
    decidedHistory: number[]
  }
  lag: { millisBehindLatest: Record<string, number>; pending: number }
  latency: { windowMs: number; recent: Record<LiveSeries, WindowPercentiles>; overall: Record<LiveSeries, WindowPercentiles> }
  decisions: {
    decided: number
    blocked: number
    reviewed: number
    truePositives: number
    falsePositives: number
    trueNegatives: number
    falseNegatives: number
    precision: number
    recall: number
    byArchetype: Array<{ name: string; decided: number; blocked: number; recall: number }>
  }
  alerts: RecentBlock[]
  problems: {
    throttled: number
    retried: number
    failedToProduce: number
    dropped: number
    late: number
    scorerRestarts: number
    invalidRecords: number
    lastError?: string
  }
  messages: string[]
}

/** What the pipeline knows beyond the ledger; the fields shared with LiveStatus pass straight through. */
export interface LiveStatusContext extends Pick<LiveStatus, 'command' | 'title' | 'target' | 'seed' | 'phase' | 'paused' | 'stopping' | 'messages'> {
  ledger: RunLedger
  startedAtMs: number
  nowMs: number
  plannedMs: number
  expected: number
  offeredTps: number
  late: number
  producer?: ProducerStats
  scorer?: ScorerStats
  scorerRestarts: number
  lastError?: string
}

const HISTORY_SECONDS = 60

export function buildLiveStatus(context: LiveStatusContext): LiveStatus {
  const { ledger, scorer, producer } = context
  const live = ledger.live?.snapshot(context.nowMs)
  const points = ledger.timeline.points().slice(-HISTORY_SECONDS)
  const perSecond = (count: number) => count / (ledger.timeline.bucketMs / 1000)
  const accuracy = accuracyFrom(ledger.confusion)
  const overall = {} as Record<LiveSeries, WindowPercentiles>
  for (const series of LIVE_SERIES) overall[series] = percentiles(series === 'decision' ? ledger.decision : series === 'endToEnd' ? ledger.endToEnd : ledger.stages[series])
  return {
    runId: ledger.runId,
    command: context.command,
    title: context.title,
    target: context.target,
    seed: context.seed,
    phase: context.phase,
    paused: context.paused,
    stopping: context.stopping,
    elapsedMs: context.nowMs - context.startedAtMs,
    plannedMs: context.plannedMs,
    emitted: ledger.emittedHere,
    expected: context.expected,
    throughput: {
      offeredTps: context.offeredTps,
      // The newest bucket is still filling: leave it out of the rates.
      offeredHistory: points.slice(0, -1).map((p) => perSecond(p.counts.offered)),
      achievedHistory: points.slice(0, -1).map((p) => perSecond(p.counts.sent)),
      decidedHistory: points.slice(0, -1).map((p) => perSecond(p.counts.decided)),
    },
    lag: { millisBehindLatest: scorer?.millisBehindLatest ?? {}, pending: Math.max(0, ledger.acked - ledger.decided) },
    latency: { windowMs: ledger.live?.windowMs ?? 0, recent: live?.latency ?? overall, overall },
    decisions: {
      decided: ledger.decided,
      blocked: ledger.blocked,
      reviewed: ledger.reviewed,
      truePositives: accuracy.truePositives,
      falsePositives: accuracy.falsePositives,
      trueNegatives: accuracy.trueNegatives,
      falseNegatives: accuracy.falseNegatives,
      precision: accuracy.precision,
      recall: accuracy.recall,
      byArchetype: ledger.archetypes.flatMap((name, code) => {
        if (code === 0) return []
        const decided = ledger.decidedByArchetype[code] ?? 0
        const blocked = ledger.blockedByArchetype[code] ?? 0
        return [{ name, decided, blocked, recall: decided ? blocked / decided : NaN }]
      }),
    },
    alerts: live?.blocks ?? [],
    problems: {
      throttled: (producer?.throttled ?? 0) + (scorer ? scorer.throttled + scorer.actions.throttled : 0),
      retried: (producer ? producer.retried + producer.sdkRetries : 0) + (scorer ? scorer.retried + scorer.actions.retried : 0),
      failedToProduce: ledger.failed,
      dropped: ledger.droppedCount,
      late: context.late,
      scorerRestarts: context.scorerRestarts,
      invalidRecords: scorer?.invalidRecords ?? 0,
      ...(context.lastError ? { lastError: context.lastError } : {}),
    },
    messages: context.messages,
  }
}
