import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createAwsClients, type AwsClients } from '../stack/aws-clients.js'
import { AlertReceiver } from '../collector/alert-receiver.js'
import { DecisionCollector } from '../collector/decision-collector.js'
import { RunLedger } from '../collector/run-ledger.js'
import type { ArrivalSchedule } from '../load/arrival-schedule.js'
import { runOpenModel } from '../load/open-model-runner.js'
import type { PauseGate } from '../load/pause-gate.js'
import { LiveWindow } from '../collector/live-window.js'
import { buildLiveStatus, type LiveStatus, type RunPhase } from './live-status.js'
import type { RunSource } from '../load/run-source.js'
import { BatchingProducer } from '../stream/batching-producer.js'
import { DecisionLog } from '../collector/decision-log.js'
import { UserError } from '../errors/user-error.js'
import { cardPathFor, readModelCard, type ModelCard } from '../model/model-card.js'
import { buildRunSummary, ledgerHistograms, type RunStatus, type RunSummary } from '../report/run-summary.js'
import { evaluateThresholds, type Threshold } from '../report/thresholds.js'
import { REPORT_FILES, reportFolder, writeRunReport } from '../report/write-report.js'
import type { ScorerStats } from '../scorer/scorer-service.js'
import { provision } from '../stack/provision.js'
import { resourceNames } from '../stack/resource-names.js'
import { isOurEmulator } from '../stack/state-file.js'
import { shardCapacityWarning } from '../stack/shard-capacity.js'
import { NO_FAULTS, type FaultPlan } from '../stack/fault-plan.js'
import { applyEmulatorFaults, assertFaultsSupported, faultsSummary, readEmulatorFaultCounts } from './fault-injection.js'
import { resolveTarget, type ResolvedTarget, type TargetSelection } from '../stack/targets.js'
import { nowMs, sleep } from '../util/clock.js'
import { checkModel } from '../decision/check-model.js'
import { countBlockListItems } from './blocklist-count.js'
import { ScorerSupervisor } from '../scorer/scorer-supervisor.js'
import { runVersions } from '../util/versions.js'

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
  /** Where the scorer writes the features it computed (NDJSON), if anywhere. */
  featuresLogPath?: string
  /** Evaluated on the summary; a crossed one fails the command (exit 99) after the report is written. */
  thresholds?: Threshold[]
  shards: number
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
  /** Pauses and resumes the load (the live view's `p`). */
  pause?: PauseGate
  /** Faults to inject (`--inject`), and the specs as given, for the report. */
  faults?: { plan: FaultPlan; specs: string[] }
  /** The embedded Kinesis enforces AWS' per-shard limits unless this is false (`--no-kinesis-limits`). */
  kinesisLimits?: boolean
  /** For tests and tools that need to reach into a live run. */
  hooks?: { onScorerStarted?(supervisor: ScorerSupervisor): void; onTargetReady?(target: ResolvedTarget): void }
}

export interface PipelineResult {
  summary: RunSummary
  reportDir: string
}

const ALERT_GRACE_MS = 5_000

/**
 * One end-to-end run: scenario → open-model load → producer → Kinesis → scorer process →
 * BlockList/SNS/decisions → collector → reconciliation → report. It always ends in the same order
 * (stop the load, drain, reconcile, stop the pipeline, write the report), whatever stopped it.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const messages: string[] = []
  const log = (line: string) => {
    messages.push(line)
    if (messages.length > 5) messages.shift()
    options.log?.(line)
  }
  const startedAtMs = Date.now()
  const runId = options.runId
  const names = resourceNames(options.prefix)
  const fatal = new AbortController()
  let fatalError: Error | undefined
  const failRun = (error: Error) => {
    fatalError ??= error
    fatal.abort()
  }
  const { source, schedule } = options
  const ledger = new RunLedger(runId, Math.min(Math.ceil(options.expectedTransactions * 1.1) + 64, 1 << 20))
  const diagnostics: Record<string, unknown> = {}
  const notes: string[] = []

  let target: ResolvedTarget | undefined
  let clients: AwsClients | undefined
  let collector: DecisionCollector | undefined
  let alerts: AlertReceiver | undefined
  let supervisor: ScorerSupervisor | undefined
  let producer: BatchingProducer<number> | undefined
  let watchdog: NodeJS.Timeout | undefined
  let crashTimer: NodeJS.Timeout | undefined
  let progressTimer: NodeJS.Timeout | undefined
  let loadStartedAtMs = nowMs()
  let loadEndedAtMs = loadStartedAtMs
  let status: RunStatus = 'completed'
  let late = 0
  let peakRssBytes = process.memoryUsage.rss()
  let phase: RunPhase = 'starting'
  let statusTimer: NodeJS.Timeout | undefined
  const { onStatus, pause } = options
  if (onStatus) {
    ledger.live = new LiveWindow(5_000, nowMs())
    const publish = () =>
      onStatus(
        buildLiveStatus({
          ledger,
          command: options.command,
          title: options.title ?? options.describe ?? options.command,
          target: target?.description ?? options.target,
          seed: typeof options.config.seed === 'number' ? options.config.seed : null,
          phase,
          paused: pause?.paused ?? false,
          stopping: options.interrupt?.aborted ?? false,
          startedAtMs: phase === 'starting' ? nowMs() : loadStartedAtMs,
          nowMs: nowMs(),
          plannedMs: options.offeredWindowMs + (pause?.pausedMs() ?? 0),
          expected: Math.max(options.expectedTransactions, ledger.emitted),
          offeredTps: options.offeredRatePerSec,
          late,
          producer: producer?.stats,
          scorer: supervisor?.totals(),
          scorerRestarts: supervisor?.restarts ?? 0,
          lastError: fatalError?.message,
          messages,
        }),
      )
    publish()
    statusTimer = setInterval(publish, options.statusIntervalMs ?? 250)
  }
  // Throughput is measured over the offered window; a pause stretches it.
  pause?.onChange((_paused, pausedTotalMs) => {
    if (Number.isFinite(options.offeredWindowMs)) ledger.windowEndsAtMs = loadStartedAtMs + options.offeredWindowMs + pausedTotalMs
  })

  // Checked before the run starts: a wrong model or target is a user error, not a failed run with a report.
  const faultPlan = options.faults?.plan ?? NO_FAULTS
  const kinesisLimits = options.kinesisLimits ?? true
  assertFaultsSupported(options.target, faultPlan)
  const { modelVersion } = await checkModel(options.model)
  const modelCard: ModelCard | null = options.model === 'rules' ? null : readModelCard(cardPathFor(options.model))
  target = await resolveTarget(
    { target: options.target, endpoint: options.endpoint, region: options.region, stateDir: options.stateDir, yes: options.yes, names, transactionShards: options.shards, decisionShards: options.shards, offeredTps: options.offeredRatePerSec },
    log,
  )
  // Created once the run can start (the model and target are good), so a refused run leaves no folder.
  const folder = reportFolder(options.reportsDir, runId)
  await mkdir(folder, { recursive: true }).catch(async (error: NodeJS.ErrnoException) => {
    await target?.ownedStack?.stop()
    throw new UserError(`Cannot create the report folder ${folder}: ${error.code ?? error.message}.`, { hint: 'Choose a writable folder with --reports-dir.' })
  })
  const decisionLog = new DecisionLog(join(folder, REPORT_FILES.decisions))
  ledger.decisionLog = decisionLog
  try {
    watchdog = watchStack(target, failRun)
    options.hooks?.onTargetReady?.(target)
    clients = createAwsClients(target.endpoints)
    const resources = await provision(clients, { names, transactionShards: options.shards, decisionShards: options.shards })
    diagnostics.resources = { ...resources.names, transactionShards: resources.transactionShards, decisionShards: resources.decisionShards }
    const capacity = target.endpoints.target !== 'embedded' || kinesisLimits ? shardCapacityWarning(options.offeredRatePerSec, resources.transactionShards) : undefined
    if (capacity) {
      log(capacity)
      notes.push(capacity)
    }
    if (target.endpoints.target === 'embedded') await applyEmulatorFaults(target.endpoints, faultPlan, kinesisLimits, typeof options.config.seed === 'number' ? options.config.seed : 1)

    collector = new DecisionCollector(clients.kinesis, names.decisionsStream, ledger, options.pollIntervalMs)
    await collector.prepare()
    collector.start()
    if (target.endpoints.target === 'embedded') {
      alerts = new AlertReceiver(clients.sns, resources.alertsTopicArn, ledger)
      await alerts.start()
    } else {
      notes.push(`alerts are not observed on target ${target.endpoints.target}: SNS cannot deliver to this machine's loopback`)
    }

    supervisor = new ScorerSupervisor({
      endpoints: target.endpoints,
      names,
      alertsTopicArn: resources.alertsTopicArn,
      pollIntervalMs: options.pollIntervalMs,
      checkpointIntervalMs: options.checkpointIntervalMs,
      consumerName: 'fraudlab-scorer',
      scorerId: `${runId}-scorer`,
      model: options.model,
      featuresLogPath: options.featuresLogPath,
    })
    supervisor.onFatal(failRun)
    await supervisor.start()
    options.hooks?.onScorerStarted?.(supervisor)
    const crashing = supervisor
    if (faultPlan.scorerCrashEveryMs) crashTimer = setInterval(() => crashing.crash(), faultPlan.scorerCrashEveryMs)

    const theProducer = new BatchingProducer<number>(
      clients.kinesis,
      names.transactionsStream,
      {
        onSent: (index, atMs) => ledger.recordSent(index, atMs),
        onAcked: (index, atMs) => ledger.recordAcked(index, atMs),
        onFailed: (index, reason) => {
          ledger.recordProduceFailed(index)
          diagnostics.lastProduceError = reason
        },
      },
      { lingerMs: 10, maxInFlightRequests: 8 },
    )
    producer = theProducer
    // Two seconds of load, within bounds: beyond it transactions wait (late) or drop; memory stays bounded.
    const maxBacklog = Math.min(50_000, Math.max(5_000, Math.ceil(options.offeredRatePerSec * 2)))
    const loadSignal = AbortSignal.any([fatal.signal, ...(options.interrupt ? [options.interrupt] : [])])
    progressTimer = setInterval(() => {
      peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss())
      if (source.error) failRun(source.error)
      if (options.onProgress) options.onProgress({ sent: ledger.acked, decided: ledger.decided, blocked: ledger.blocked, emitted: ledger.emitted })
      else if (!onStatus) log(progressLine(ledger, options.expectedTransactions, startedAtMs, supervisor?.totals()))
    }, options.progressIntervalMs ?? (options.onProgress ? 250 : 2_000))
    loadStartedAtMs = nowMs() + 10
    ledger.windowEndsAtMs = loadStartedAtMs + options.offeredWindowMs
    phase = 'load'
    log(`run ${runId}: ${options.describe ?? options.command} on ${target.description}`)
    const load = await runOpenModel({
      schedule,
      startAtMs: loadStartedAtMs,
      now: nowMs,
      wait: (ms) => (ms <= 0 ? new Promise((resolve) => setImmediate(resolve)) : sleep(ms)),
      canEmit: () => theProducer.backlog < maxBacklog,
      source,
      maxLatenessMs: options.maxLatenessMs,
      signal: loadSignal,
      pause,
      emit: (index, scheduledAtMs) => {
        const { transaction, label } = source.next()
        ledger.recordEmitted(index, scheduledAtMs, label)
        theProducer.put(index, transaction.account, Buffer.from(JSON.stringify(transaction)))
      },
      // A dropped transaction is still generated, so the i-th transaction is the same at any rate.
      drop: (index, scheduledAtMs) => ledger.recordDropped(index, scheduledAtMs, source.next().label),
    })
    late = load.late
    diagnostics.backpressureWaits = load.backpressureWaits
    if (source.error) failRun(source.error)
    phase = 'draining'
    clearInterval(crashTimer)
    await untilAborted(theProducer.flush(), fatal.signal)
    loadEndedAtMs = nowMs()
    if (theProducer.fatalError) failRun(new Error(`the producer cannot write to ${names.transactionsStream}: ${theProducer.fatalError.message}`))
    if (options.interrupt?.aborted) status = 'interrupted'

    const drainStop = AbortSignal.any([fatal.signal, ...(options.hardStop ? [options.hardStop] : [])])
    const drained = await waitFor(() => ledger.decided >= ledger.acked, options.drainTimeoutMs, drainStop)
    if (drained) await waitFor(() => !alerts || ledger.alerts >= ledger.blocked, ALERT_GRACE_MS, drainStop)
    else if (!fatal.signal.aborted) notes.push(`drain timed out after ${options.drainTimeoutMs}ms with ${ledger.undecided} transactions undecided`)
    if (collector.error) failRun(collector.error)
  } catch (error) {
    failRun(error as Error)
  } finally {
    clearInterval(progressTimer)
    clearInterval(watchdog)
    clearInterval(crashTimer)
  }

  if (fatalError) status = 'failed'
  phase = 'finishing'
  await supervisor?.stop().catch(() => undefined)
  await collector?.stop().catch(() => undefined)
  await alerts?.stop().catch(() => undefined)
  ledger.logUndecided()
  // A decision log that cannot be finished (a full disk) is noted; the summary is still written.
  await decisionLog.close().catch((error: Error) => notes.push(`${REPORT_FILES.decisions} is incomplete: ${error.message}`))
  let blockListItems: number | null = null
  if (clients && status !== 'failed') {
    blockListItems = await countBlockListItems(clients.dynamodb, names.blockListTable, runId).catch(() => null)
  }
  const scorerStats = supervisor?.totals()
  // Emulator counts exist on the embedded stack only; elsewhere the section appears for a scorer crash alone.
  const embedded = target?.endpoints.target === 'embedded'
  const faults =
    embedded || faultPlan.scorerCrashEveryMs
      ? faultsSummary(
          options.faults?.specs ?? [],
          embedded && kinesisLimits,
          embedded ? await readEmulatorFaultCounts(target!.endpoints) : { kinesis: null, dynamodb: null, sns: null },
          supervisor?.injectedCrashes ?? 0,
        )
      : undefined
  diagnostics.scorer = scorerStats
  diagnostics.producer = producer?.stats
  if (options.sourceDiagnostics) diagnostics.source = options.sourceDiagnostics()
  const memory = process.memoryUsage()
  diagnostics.memoryMb = {
    peakRss: mb(Math.max(peakRssBytes, memory.rss)),
    rssAtEnd: mb(memory.rss),
    heapUsedAtEnd: mb(memory.heapUsed),
    externalAtEnd: mb(memory.external + memory.arrayBuffers),
  }
  const summary = buildRunSummary({
    ledger,
    command: options.command,
    status,
    error: fatalError?.message,
    startedAtMs,
    endedAtMs: Date.now(),
    loadStartedAtMs,
    loadEndedAtMs,
    offeredTps: Math.round(options.offeredRatePerSec * 10) / 10,
    offeredWindowMs: options.offeredWindowMs,
    late,
    config: {
      ...options.config,
      target: options.target,
      shards: options.shards,
      maxLatenessMs: options.maxLatenessMs,
      prefix: options.prefix,
      pollIntervalMs: options.pollIntervalMs,
      checkpointIntervalMs: options.checkpointIntervalMs,
      drainTimeoutMs: options.drainTimeoutMs,
    },
    versions: runVersions(),
    model: { path: options.model, version: modelVersion, card: modelCard },
    blockListItems,
    alertsObserved: alerts !== undefined,
    throttled: (producer?.stats.throttled ?? 0) + (scorerStats ? scorerStats.throttled + scorerStats.actions.throttled : 0),
    retried: (producer?.stats.retried ?? 0) + (producer?.stats.sdkRetries ?? 0) + (scorerStats ? scorerStats.retried + scorerStats.actions.retried : 0),
    scorerRestarts: supervisor?.restarts ?? 0,
    invalidRecords: scorerStats?.invalidRecords ?? 0,
    notes,
    files: { ...REPORT_FILES },
    diagnostics,
  })
  if (faults) summary.faults = faults
  summary.thresholds = evaluateThresholds(options.thresholds ?? [], summary)
  clearInterval(statusTimer)
  const reportDir = await writeRunReport(options.reportsDir, summary, ledgerHistograms(ledger))
  clients?.destroy()
  await target?.ownedStack?.stop()
  return { summary, reportDir }
}

function watchStack(target: ResolvedTarget, failRun: (error: Error) => void): NodeJS.Timeout | undefined {
  const died = (name: string, pid: number, how: string) =>
    failRun(new Error(`${name} (pid ${pid}) ${how} mid-run; the run stopped and wrote a partial report`))
  target.ownedStack?.onUnexpectedExit((service, code, signal) => died(service.implementation, service.pid, `exited (${signal ?? `code ${code}`})`))
  const external = target.externalServices
  if (!external) return undefined
  return setInterval(() => {
    const gone = external.find((service) => !isOurEmulator(service.pid))
    if (gone) died(gone.implementation, gone.pid, 'is no longer running')
  }, 500)
}

async function untilAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await Promise.race([work, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))])
}

async function waitFor(condition: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = nowMs() + timeoutMs
  while (!condition()) {
    if (signal.aborted || nowMs() > deadline) return false
    await sleep(25, signal)
  }
  return true
}

function progressLine(ledger: RunLedger, total: number, startedAtMs: number, scorer: ScorerStats | undefined): string {
  const elapsed = ((Date.now() - startedAtMs) / 1000).toFixed(1)
  const lag = scorer ? Math.max(0, ...Object.values(scorer.millisBehindLatest)) : 0
  return `[${elapsed}s] sent ${ledger.acked}/${total} · decided ${ledger.decided} · blocked ${ledger.blocked} · alerts ${ledger.alerts} · scorer behind ${lag}ms`
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20)
}
