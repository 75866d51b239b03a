import { countBlockListItems } from '../collector/blocklist-count.js'
import type { DecisionLog } from '../collector/decision-log.js'
import type { RunLedger } from '../collector/run-ledger.js'
import type { ModelCard } from '../model/model-card.js'
import { buildRunSummary, ledgerHistograms, type RunStatus, type RunSummary } from '../report/run-summary.js'
import { evaluateThresholds, type Threshold } from '../report/thresholds.js'
import { REPORT_FILES, writeRunReport } from '../report/write-report.js'
import type { LeaseDiagnostics } from '../scorer/scorer-group.js'
import type { ScorerStats } from '../scorer/scorer-service.js'
import type { AwsClients } from '../stack/aws-clients.js'
import type { FaultPlan } from '../stack/fault-plan.js'
import type { ResolvedTarget } from '../stack/targets.js'
import type { RecordWriter } from '../stream/batching-producer.js'
import { runVersions } from '../util/versions.js'
import { faultsSummary, readEmulatorFaultCounts } from './fault-injection.js'
import type { RunningPipeline } from './start-pipeline.js'

export interface Reconciliation {
  /** BlockList items written for this run; null when they could not be counted. */
  blockListItems: number | null
  scorer: ScorerStats | undefined
  /** Who held the shards' leases when the drain ended, and how long dead scorers' shards went unread. */
  leases: LeaseDiagnostics | undefined
  faults: RunSummary['faults'] | undefined
  /** Records on the decisions stream that broke the contract. */
  invalidDecisions: number
  notes: string[]
}

/**
 * Phase 7, whatever stopped the run: stop the pipeline (the scorer checkpoints its last batch),
 * list what was never decided, finish the decision log, and count the effects (BlockList items,
 * emulator faults) to hold against the decisions.
 */
export async function reconcile(
  ledger: RunLedger,
  decisionLog: DecisionLog,
  parts: { target?: ResolvedTarget; clients?: AwsClients; blockListTable: string; pipeline?: RunningPipeline; status: RunStatus; faults: { plan: FaultPlan; specs: string[]; kinesisLimits: boolean } },
): Promise<Reconciliation> {
  const { target, clients, pipeline } = parts
  const notes: string[] = []
  // Before the scorers stop and give their leases back: each shard should be held by one of them.
  const owners = parts.status === 'failed' ? undefined : await pipeline?.leases().catch(() => undefined)
  await pipeline?.stop()
  const leases = owners && pipeline?.scorers ? { ...owners, failover: pipeline.scorers.failovers() } : owners
  const collector = pipeline?.collector
  if (collector?.invalidDecisions) {
    notes.push(`${collector.invalidDecisions} records on the decisions stream broke the decision contract (docs/scorer-contract.md) and were not counted as decisions; the first: ${collector.firstInvalid}`)
  }
  ledger.logUndecided()
  // A decision log that cannot be finished (a full disk) is noted; the summary is still written.
  await decisionLog.close().catch((error: Error) => notes.push(`${REPORT_FILES.decisions} is incomplete: ${error.message}`))
  const blockListItems = clients && parts.status !== 'failed' ? await countBlockListItems(clients.dynamodb, parts.blockListTable, ledger.runId).catch(() => null) : null
  // Emulator counts exist on the embedded stack only; elsewhere the section appears for a scorer crash alone.
  const embedded = target?.endpoints.target === 'embedded'
  const faults =
    embedded || parts.faults.plan.scorerCrashEveryMs
      ? faultsSummary(
          parts.faults.specs,
          embedded && parts.faults.kinesisLimits,
          embedded ? await readEmulatorFaultCounts(target!) : { kinesis: null, dynamodb: null, sns: null },
          pipeline?.scorers?.injectedCrashes ?? 0,
        )
      : undefined
  return { blockListItems, scorer: pipeline?.scorers?.totals(), leases, faults, invalidDecisions: collector?.invalidDecisions ?? 0, notes }
}

export interface ReportInputs {
  ledger: RunLedger
  command: 'simulate' | 'replay'
  status: RunStatus
  error?: string
  startedAtMs: number
  loadStartedAtMs: number
  loadEndedAtMs: number
  offeredRatePerSec: number
  offeredWindowMs: number
  late: number
  config: Record<string, unknown>
  model: { path: string; version: string; card: ModelCard | null }
  reconciliation: Reconciliation
  producer?: RecordWriter<number>
  scorerRestarts: number
  alertsObserved: boolean
  notes: string[]
  diagnostics: Record<string, unknown>
  peakRssBytes: number
  thresholds: Threshold[]
  reportsDir: string
}

/** Phase 8: the summary (a pure function of the ledger and these counts), its thresholds, and the report's files. */
export async function reportRun(input: ReportInputs): Promise<{ summary: RunSummary; reportDir: string }> {
  const { reconciliation, producer } = input
  const scorer = reconciliation.scorer
  const memory = process.memoryUsage()
  const diagnostics = {
    ...input.diagnostics,
    ...(producer?.lastFailure ? { lastProduceError: producer.lastFailure } : {}),
    scorer,
    ...(reconciliation.leases ? { leases: reconciliation.leases } : {}),
    producer: producer ? { ...producer.stats, ...(producer.aggregation ? { aggregation: producer.aggregation } : {}) } : undefined,
    memoryMb: {
      peakRss: mb(Math.max(input.peakRssBytes, memory.rss)),
      rssAtEnd: mb(memory.rss),
      heapUsedAtEnd: mb(memory.heapUsed),
      externalAtEnd: mb(memory.external + memory.arrayBuffers),
    },
  }
  const summary = buildRunSummary({
    ledger: input.ledger,
    command: input.command,
    status: input.status,
    error: input.error,
    startedAtMs: input.startedAtMs,
    endedAtMs: Date.now(),
    loadStartedAtMs: input.loadStartedAtMs,
    loadEndedAtMs: input.loadEndedAtMs,
    offeredTps: Math.round(input.offeredRatePerSec * 10) / 10,
    offeredWindowMs: input.offeredWindowMs,
    late: input.late,
    config: input.config,
    versions: runVersions(),
    model: input.model,
    blockListItems: reconciliation.blockListItems,
    alertsObserved: input.alertsObserved,
    throttled: (producer?.stats.throttled ?? 0) + (scorer ? scorer.throttled + scorer.actions.throttled : 0),
    retried: (producer?.stats.retried ?? 0) + (producer?.stats.sdkRetries ?? 0) + (scorer ? scorer.retried + scorer.actions.retried : 0),
    scorerRestarts: input.scorerRestarts,
    invalidRecords: (scorer?.invalidRecords ?? 0) + reconciliation.invalidDecisions,
    notes: [...input.notes, ...reconciliation.notes],
    files: { ...REPORT_FILES },
    diagnostics,
  })
  if (reconciliation.faults) summary.faults = reconciliation.faults
  summary.thresholds = evaluateThresholds(input.thresholds, summary)
  const reportDir = await writeRunReport(input.reportsDir, summary, ledgerHistograms(input.ledger))
  return { summary, reportDir }
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20)
}
