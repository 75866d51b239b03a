import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DecisionLog } from '../collector/decision-log.js'
import { UserError } from '../errors/user-error.js'
import { LiveWindow } from '../collector/live-window.js'
import { RunLedger } from '../collector/run-ledger.js'
import type { ArrivalSchedule } from '../load/arrival-schedule.js'
import { OfferedWindow } from '../load/offered-window.js'
import type { PauseGate } from '../load/pause-gate.js'
import type { RunSource } from '../load/run-source.js'
import { segmentLabel, type Segment } from '../load/segment.js'
import type { RunSummary, RunStatus } from '../report/run-summary.js'
import type { Threshold } from '../report/thresholds.js'
import { REPORT_FILES } from '../report/write-report.js'
import type { ScorerGroup } from '../scorer/scorer-group.js'
import { KCL_FAILOVER_MS } from '../stream/lease-coordinator.js'
import { CROSS_PARTITION_FEATURE_PREFIXES, FEATURE_NAMES } from '../features/feature-names.js'
import type { FaultPlan } from '../stack/fault-plan.js'
import { resourceNames, withUserResources, type UserResources } from '../stack/resource-names.js'
import { decisionShardsForRate, shardsForRate } from '../stack/shard-capacity.js'
import type { ResolvedTarget, TargetSelection } from '../stack/targets.js'
import type { RecordWriter } from '../stream/batching-producer.js'
import { nowMs } from '../util/clock.js'
import { checkRun } from './check-run.js'
import { drain } from './drain-phase.js'
import { reconcile, reportRun } from './finish-run.js'
import type { LiveStatus } from './live-status.js'
import { openTransactionWriter, runLoad, type LoadResult } from './load-phase.js'
import { createReportFolder, provisionRun, resolveRunTarget, type ProvisionedRun } from './provision-run.js'
import { RunMonitor } from './run-monitor.js'
import { RunResources } from './run-resources.js'
import { gatherSegments, segmentGroupOf, segmentNeedsSharedStack, segmentNote } from './segment-run.js'
import type { RunTelemetrySource } from './run-telemetry.js'
import { assertReshardable, reshardNote, ScheduledReshard, type ReshardPlan } from './reshard-step.js'
import { fanOutConsumersOf, startPipeline, type ConsumerChoice, type ObserveChoice, type RunningPipeline, type ScorerChoice } from './start-pipeline.js'

const UNLIMITED_COLLECTOR_POLL_MS = 10

export interface PipelineOptions extends TargetSelection {
  command: 'simulate' | 'replay'
  /** Transaction ids start with it (the source numbers them `${runId}-${index}`). */
  runId: string
  source: RunSource
  schedule: ArrivalSchedule
  /** For progress and sizing; an estimate for files and Poisson arrivals. */
  expectedTransactions: number
  offeredRatePerSec: number
  /** The offered load window (throughput is measured over it); Infinity when the source sets the end. */
  offeredWindowMs: number
  /** Recorded in the report as the run's configuration. */
  config: Record<string, unknown>
  /** Figures the source wants in the report (rows skipped, for example). */
  sourceDiagnostics?: () => Record<string, unknown>
  reportsDir: string
  /** `rules`, or the path of an ONNX model with its card. */
  model: string
  /** `external`: the user's scorer consumes the transactions stream; fraudlab starts none, observes and reconciles. */
  scorer?: ScorerChoice
  /** How fraudlab's scorer reads the transactions stream: GetRecords polling, or enhanced fan-out (SubscribeToShard). */
  consumer?: ConsumerChoice
  /** fraudlab's scorer processes, sharing the shards by lease (default 1). */
  scorers?: number
  /** How long a scorer's lease may go unrenewed before another takes it (default: KCL's 10 s). */
  leaseFailoverMs?: number
  /** How the collector reads the decisions stream: GetRecords polling, or enhanced fan-out. */
  collectorConsumer?: ConsumerChoice
  /** `effects`: the decisions are learnt from the BlockList and alerts alone (a scorer that writes no decisions stream). */
  observe?: ObserveChoice
  /** The user's own streams, table and topic, used as they are (never created or deleted). */
  userResources?: UserResources
  /** A second model (same forms) that scores every transaction and takes no action: champion/challenger. */
  shadowModel?: string
  /** Where the scorer writes the features it computed (NDJSON), if anywhere. */
  featuresLogPath?: string
  /** Evaluated on the summary; a crossed one fails the command (exit 99) after the report is written. */
  thresholds?: Threshold[]
  /** Shards of both streams; by default, on the embedded stack, enough for the offered rate (2 elsewhere). */
  shards?: number
  /** A transaction that cannot be sent within this long of its scheduled time is dropped and counted. */
  maxLatenessMs: number
  pollIntervalMs: number
  checkpointIntervalMs: number
  drainTimeoutMs: number
  progressIntervalMs?: number
  /** Aborting it stops the load; the run still drains, reconciles and writes its report (Ctrl-C). */
  interrupt?: AbortSignal
  /** Aborting it also cuts the drain short (a second Ctrl-C). */
  hardStop?: AbortSignal
  log?: (line: string) => void
  /** A one-line description for the log. */
  describe?: string
  /** The scenario or dataset, short, for the live view's header. */
  title?: string
  statusIntervalMs?: number
  /** Called a few times a second with the run's progress (replaces the periodic log line). */
  onProgress?: (progress: { sent: number; decided: number; blocked: number; emitted: number }) => void
  /** Called four times a second with a snapshot of the run for the live view (which never reaches into the run itself). */
  onStatus?: (status: LiveStatus) => void
  /** Given, once the run has a ledger, what metric outputs (`--out`) read when they collect. */
  onTelemetry?: (source: RunTelemetrySource) => void
  /** Pauses and resumes the load (the live view's `p`). */
  pause?: PauseGate
  /** Faults to inject (`--inject`), and the specs as given, for the report. */
  faults?: { plan: FaultPlan; specs: string[] }
  /** The embedded Kinesis enforces AWS' per-shard limits unless this is false (`--no-kinesis-limits`). */
  kinesisLimits?: boolean
  /** Transactions travel packed in KPL aggregates (`--aggregate`); the consumer must de-aggregate. */
  aggregate?: boolean
  /** The transactions stream goes to another shard count during the load (`--reshard AT:COUNT`). */
  reshard?: ReshardPlan
  /** This host's part of a run split across hosts (`--segment i/n`): its accounts' transactions only. */
  segment?: Segment
  /** History the scorer folds into its feature state before the load (`--warmup`). */
  warmupPath?: string
  /** Said in the log and the report's notes from the start. */
  notes?: string[]
  /** For tests and tools that need to reach into a live run. */
  hooks?: { onScorerStarted?(scorers: ScorerGroup): void; onTargetReady?(target: ResolvedTarget): void; onLoadStarted?(): void; onLoadEnded?(): void }
}

/**
 * Records are partitioned by account, so each of several scorers sees whole account histories but
 * only its own shards' share of what is keyed by anything else.
 */
function partialFeaturesNote(scorers: number): string {
  const partial = FEATURE_NAMES.filter((name) => CROSS_PARTITION_FEATURE_PREFIXES.some((prefix) => name.startsWith(prefix)))
  return `${scorers} scorers each read their own shards, and records are partitioned by account: the ${partial.length} features keyed by counterparty, device or merchant (${CROSS_PARTITION_FEATURE_PREFIXES.map((p) => `${p}*`).join(', ')}) are computed from about 1/${scorers} of their history (README: "Features across scorers")`
}

export interface PipelineResult {
  summary: RunSummary
  reportDir: string
}

/**
 * One end-to-end run, in phases: check → resolve the target → provision → start the scorer and
 * collector → load → drain → reconcile → report. Whatever stopped it (the end of the load, Ctrl-C,
 * a fatal error), it reconciles and writes its report, and `resources.release()` gives back
 * everything the phases took.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const startedAtMs = Date.now()
  const { runId } = options
  const names = withUserResources(resourceNames(options.prefix), options.userResources)
  const scorer = options.scorer ?? 'fraudlab'
  const seed = typeof options.config.seed === 'number' ? options.config.seed : null
  const kinesisLimits = options.kinesisLimits ?? true
  const aggregate = options.aggregate ?? false
  // AWS bills by the shard and LocalStack is the user's: only the embedded stack is sized for the rate unasked.
  const embedded = options.target === 'embedded'
  const shards = options.shards ?? (embedded ? shardsForRate(options.offeredRatePerSec, { aggregated: aggregate }) : 2)
  const decisionShards = options.shards ?? (embedded ? decisionShardsForRate(options.offeredRatePerSec) : 2)
  // The collector is the observer, not the system under test: where no read limit binds it, it
  // polls the decisions stream often, so that observing a decision adds little to when it happened.
  const collectorPollIntervalMs = embedded && !kinesisLimits ? Math.min(options.pollIntervalMs, UNLIMITED_COLLECTOR_POLL_MS) : options.pollIntervalMs
  const resources = new RunResources()
  // A segment offers its share of the rate; the streams are sized for the whole run, which every segment writes to.
  const segment = options.segment
  const share = segment ? 1 / segment.count : 1
  const offeredRatePerSec = options.offeredRatePerSec * share
  const monitor = new RunMonitor(
    // The live view's header says how the scorer reads when it is not by polling.
    {
      ...options,
      offeredRatePerSec,
      expectedTransactions: Math.ceil(options.expectedTransactions * share),
      title: `${options.title ?? options.describe ?? options.command}${segment ? ` · segment ${segmentLabel(segment)}` : ''}${options.consumer === 'efo' ? ' · enhanced fan-out' : ''}${options.collectorConsumer === 'efo' ? ' · collector by enhanced fan-out' : ''}`,
      target: options.target,
      seed,
    },
    resources,
  )
  try {
    const checks = await checkRun(options)
    const folder = await createReportFolder(options.reportsDir, runId)
    const decisionLog = new DecisionLog(join(folder, REPORT_FILES.decisions))
    const live = options.onStatus ? new LiveWindow(5_000, nowMs()) : undefined
    const window = new OfferedWindow(options.offeredWindowMs, options.pause)
    const ledger = new RunLedger(runId, Math.min(Math.ceil(options.expectedTransactions * 1.1) + 64, 1 << 20), undefined, undefined, { decisionLog, live, offeredWindow: window })
    monitor.publishStatus(ledger)
    options.onTelemetry?.({ runId, status: () => monitor.snapshot(ledger), ledger })
    // A run refused by its target, or by another run on its streams, leaves no report folder behind.
    const refused = async (error: Error): Promise<never> => {
      await decisionLog.close().catch(() => undefined)
      await rm(folder, { recursive: true, force: true })
      throw error
    }
    const consumers = {
      scorer,
      observe: options.observe ?? 'decisions',
      consumer: options.consumer ?? 'polling',
      collectorConsumer: options.collectorConsumer ?? 'polling',
      scorers: options.scorers ?? 1,
      leaseFailoverMs: options.leaseFailoverMs ?? KCL_FAILOVER_MS,
    } as const
    const fanOutConsumers = fanOutConsumersOf(names, consumers)
    const target = await resolveRunTarget({ ...options, shards, decisionShards, fanOutConsumers }, names, resources, monitor.log).catch(refused)
    // The segments of a run must share one pipeline: a stack started for this run alone is nobody else's.
    if (segment && target.ownedStack) await refused(segmentNeedsSharedStack(segment))
    monitor.watchTarget(target)
    options.hooks?.onTargetReady?.(target)

    const notes: string[] = [...(options.notes ?? [])]
    if (scorer === 'fraudlab' && consumers.scorers > 1 && !segment) notes.push(partialFeaturesNote(consumers.scorers))
    const segmentGroup = segment && segmentGroupOf(options, segment, seed)
    if (segment) notes.push(segmentNote(segment, scorer, consumers.scorers))
    const diagnostics: Record<string, unknown> = {}
    let provisioned: ProvisionedRun | undefined
    let pipeline: RunningPipeline | undefined
    let producer: RecordWriter<number> | undefined
    let load: LoadResult | undefined
    let loadEndedAtMs: number | undefined
    let interrupted = false
    let reshard: ScheduledReshard | undefined
    try {
      provisioned = await provisionRun(target, { runId, command: options.command, names, shards, decisionShards, offeredRatePerSec: options.offeredRatePerSec, kinesisLimits, aggregate, faultPlan: checks.faultPlan, seed: seed ?? 1, segmentGroup }, resources)
      diagnostics.resources = { ...provisioned.resources.names, transactionShards: provisioned.resources.transactionShards, decisionShards: provisioned.resources.decisionShards, collectorPollIntervalMs }
      for (const note of provisioned.notes) monitor.log(note)
      notes.push(...provisioned.notes)
      if (options.reshard) {
        if (segment && segment.index !== 1) throw new UserError(`--reshard with --segment ${segmentLabel(segment)}: one host reshards the stream.`, { hint: `Give --reshard to segment 1/${segment.count} only.` })
        // Against the stream as found: an existing stream keeps its own count.
        assertReshardable(options.reshard, { openShards: provisioned.resources.transactionShards, aggregate, loadWindowMs: options.offeredWindowMs })
        reshard = new ScheduledReshard(provisioned.clients.kinesis, names.transactionsStream, options.reshard, provisioned.resources.transactionShards)
      }

      pipeline = await startPipeline(
        target,
        provisioned,
        ledger,
        { runId, names, ...consumers, model: options.model, shadowModel: options.shadowModel, featuresLogPath: options.featuresLogPath, warmupPath: options.warmupPath, pollIntervalMs: options.pollIntervalMs, collectorPollIntervalMs, checkpointIntervalMs: options.checkpointIntervalMs, faultPlan: checks.faultPlan },
        resources,
        monitor.fail,
      )
      if (pipeline.scorers) {
        monitor.watchScorer(pipeline.scorers)
        options.hooks?.onScorerStarted?.(pipeline.scorers)
      }

      producer = await openTransactionWriter(provisioned.clients.kinesis, names.transactionsStream, ledger, { aggregate })
      monitor.watchProducer(producer)
      const { source } = options
      monitor.publishProgress(ledger)
      const loadSignal = AbortSignal.any([monitor.fatal.signal, ...(options.interrupt ? [options.interrupt] : [])])
      const loadRequest = { source, schedule: options.schedule, offeredRatePerSec, maxLatenessMs: options.maxLatenessMs, pause: options.pause, signal: loadSignal, segment }
      // The segments of a split run start their loads at one instant, as one host's would.
      const startAtMs = segment ? await gatherSegments(provisioned.lock, segment, loadSignal, monitor.log) : undefined
      load = await runLoad({ ...loadRequest, startAtMs }, producer, ledger, window, (atMs) => {
        monitor.loadStarted(atMs)
        options.hooks?.onLoadStarted?.()
        reshard?.arm(atMs, loadSignal)
        monitor.log(`run ${runId}: ${options.describe ?? options.command} on ${target.description}`)
      })
      // Ctrl-C during the load ends it early; one during the drain comes after a completed load.
      interrupted = options.interrupt?.aborted ?? false
      diagnostics.backpressureWaits = load.backpressureWaits
      // A source whose input failed offers what it read before the failure, then ends the load: the run fails on it, and still drains.
      if (source.error) monitor.inputFailed(source.error)

      options.hooks?.onLoadEnded?.()
      monitor.loadEnded(load.late)
      const drained = await drain(producer, pipeline, ledger, {
        stream: names.transactionsStream,
        drainTimeoutMs: options.drainTimeoutMs,
        fatal: monitor.fatal.signal,
        stop: AbortSignal.any([monitor.fatal.signal, ...(options.hardStop ? [options.hardStop] : [])]),
        fail: monitor.fail,
      })
      loadEndedAtMs = drained.loadEndedAtMs
      notes.push(...drained.notes)
    } catch (error) {
      // A user's mistake found before the scorer started (a stack in use, a named stream that does not exist) is refused, not reported.
      if (error instanceof UserError && pipeline === undefined) await refused(error)
      monitor.fail(error as Error)
    }
    const resharded = await reshard?.settle()
    if (resharded) {
      diagnostics.reshard = resharded
      notes.push(reshardNote(resharded))
      // A reshard cut short by Ctrl-C is said in the notes; one the service refused fails the run.
      if (resharded.error && !options.interrupt?.aborted && !monitor.error) monitor.fail(new Error(`--reshard failed: ${resharded.error}`))
    }
    if (provisioned?.lock.lostTo) {
      const { runId: other, host, pid } = provisioned.lock.lostTo
      notes.push(`run ${other} (pid ${pid} on ${host}) took this run's lock on its streams and tables during the run (this run stalled past the lock's expiry): figures may include that run's transactions`)
    }

    const status: RunStatus = monitor.error ? 'failed' : interrupted ? 'interrupted' : 'completed'
    monitor.finishing()
    const reconciliation = await reconcile(ledger, decisionLog, {
      target,
      clients: provisioned?.clients,
      blockListTable: names.blockListTable,
      pipeline,
      status,
      faults: { plan: checks.faultPlan, specs: options.faults?.specs ?? [], kinesisLimits },
    })
    if (options.sourceDiagnostics) diagnostics.source = options.sourceDiagnostics()
    if (segment) diagnostics.segment = { segment: segmentLabel(segment), group: segmentGroup, otherSegmentTransactions: ledger.otherSegment }
    const loadStartedAtMs = load?.loadStartedAtMs ?? nowMs()
    return await reportRun({
      ledger,
      command: options.command,
      status,
      error: monitor.error?.message,
      startedAtMs,
      loadStartedAtMs,
      loadEndedAtMs: loadEndedAtMs ?? loadStartedAtMs,
      offeredRatePerSec,
      offeredWindowMs: options.offeredWindowMs,
      late: load?.late ?? 0,
      config: {
        ...options.config,
        target: options.target,
        shards,
        ...(options.reshard ? { reshard: `${options.reshard.atMs / 1000}s:${options.reshard.shards}` } : {}),
        ...(segment ? { segment: segmentLabel(segment) } : {}),
        maxLatenessMs: options.maxLatenessMs,
        prefix: options.prefix,
        ...consumers,
        ...Object.fromEntries(Object.entries(options.userResources ?? {}).filter(([, name]) => name !== undefined)),
        pollIntervalMs: options.pollIntervalMs,
        checkpointIntervalMs: options.checkpointIntervalMs,
        drainTimeoutMs: options.drainTimeoutMs,
        ...(options.shadowModel ? { shadowModel: options.shadowModel, shadowModelVersion: checks.shadowModelVersion } : {}),
      },
      model: { path: options.model, version: checks.modelVersion, card: checks.modelCard },
      reconciliation,
      producer,
      scorerRestarts: pipeline?.scorers?.restarts ?? 0,
      alertsObserved: pipeline?.alerts !== undefined,
      notes,
      diagnostics,
      peakRssBytes: monitor.peakRssBytes,
      thresholds: options.thresholds ?? [],
      reportsDir: options.reportsDir,
    })
  } finally {
    await resources.release()
  }
}
