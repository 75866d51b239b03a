import { createAwsClients, type AwsClients } from '../aws/clients.js'
import { AlertReceiver } from '../collector/alert-receiver.js'
import { DecisionCollector } from '../collector/decision-collector.js'
import { RunLedger } from '../collector/run-ledger.js'
import { runOpenModel } from '../load/open-model-runner.js'
import { BatchingProducer } from '../producer/batching-producer.js'
import { buildRunSummary, type RunStatus, type RunSummary } from '../report/run-summary.js'
import { writeRunReport } from '../report/write-report.js'
import type { ScorerStats } from '../scorer/scorer-service.js'
import { provision } from '../stack/provision.js'
import { resourceNames } from '../stack/resource-names.js'
import { isOurEmulator } from '../stack/state-file.js'
import { resolveTarget, type ResolvedTarget, type TargetSelection } from '../stack/targets.js'
import { nowMs, sleep } from '../util/clock.js'
import { countBlockListItems } from './blocklist-count.js'
import { newRunId } from './run-id.js'
import { instantiatePlan, type RunPlan } from './run-plan.js'
import { ScorerSupervisor } from './scorer-supervisor.js'
import { runVersions } from './versions.js'

export interface SimulateOptions extends TargetSelection {
  plan: RunPlan
  reportsDir: string
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
  /** For tests and tools that need to reach into a live run. */
  hooks?: { onScorerStarted?(supervisor: ScorerSupervisor): void; onTargetReady?(target: ResolvedTarget): void }
}

export interface SimulateResult {
  summary: RunSummary
  reportDir: string
}

const ALERT_GRACE_MS = 5_000

/**
 * One end-to-end run: scenario → open-model load → producer → Kinesis → scorer process →
 * BlockList/SNS/decisions → collector → reconciliation → report. It always ends in the same order
 * (stop the load, drain, reconcile, stop the pipeline, write the report), whatever stopped it.
 */
export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const log = options.log ?? (() => {})
  const startedAtMs = Date.now()
  const runId = newRunId()
  const names = resourceNames(options.prefix)
  const fatal = new AbortController()
  let fatalError: Error | undefined
  const failRun = (error: Error) => {
    fatalError ??= error
    fatal.abort()
  }
  const { plan } = options
  const { source, schedule } = instantiatePlan(plan, runId)
  const ledger = new RunLedger(runId, Math.ceil(plan.expectedTransactions * 1.1) + 64)
  const diagnostics: Record<string, unknown> = {}
  const notes: string[] = []

  let target: ResolvedTarget | undefined
  let clients: AwsClients | undefined
  let collector: DecisionCollector | undefined
  let alerts: AlertReceiver | undefined
  let supervisor: ScorerSupervisor | undefined
  let producer: BatchingProducer<number> | undefined
  let watchdog: NodeJS.Timeout | undefined
  let progressTimer: NodeJS.Timeout | undefined
  let loadStartedAtMs = nowMs()
  let loadEndedAtMs = loadStartedAtMs
  let status: RunStatus = 'completed'
  let late = 0

  // Resolved before the run starts: a wrong target is a user error, not a failed run with a report.
  target = await resolveTarget(
    { target: options.target, endpoint: options.endpoint, region: options.region, stateDir: options.stateDir, yes: options.yes, names, transactionShards: options.shards, decisionShards: options.shards },
    log,
  )
  try {
    watchdog = watchStack(target, failRun)
    options.hooks?.onTargetReady?.(target)
    clients = createAwsClients(target.endpoints)
    const resources = await provision(clients, { names, transactionShards: options.shards, decisionShards: options.shards })
    diagnostics.resources = { ...resources.names, transactionShards: resources.transactionShards, decisionShards: resources.decisionShards }

    collector = new DecisionCollector(clients.kinesis, names.decisionsStream, ledger)
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
    })
    supervisor.onFatal(failRun)
    await supervisor.start()
    options.hooks?.onScorerStarted?.(supervisor)

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
    const maxBacklog = Math.max(5_000, Math.ceil(plan.meanRatePerSec * 2))
    const loadSignal = AbortSignal.any([fatal.signal, ...(options.interrupt ? [options.interrupt] : [])])
    progressTimer = setInterval(() => log(progressLine(ledger, plan.expectedTransactions, startedAtMs, supervisor?.totals())), options.progressIntervalMs ?? 2_000)
    loadStartedAtMs = nowMs() + 10
    log(`run ${runId}: ${plan.scenarioName}, ${plan.arrival.label}, about ${plan.expectedTransactions} transactions on ${target.description}`)
    const load = await runOpenModel({
      schedule,
      startAtMs: loadStartedAtMs,
      now: nowMs,
      wait: (ms) => (ms <= 0 ? new Promise((resolve) => setImmediate(resolve)) : sleep(ms)),
      canEmit: () => theProducer.backlog < maxBacklog,
      maxLatenessMs: options.maxLatenessMs,
      signal: loadSignal,
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
  }

  if (fatalError) status = 'failed'
  await supervisor?.stop().catch(() => undefined)
  await collector?.stop().catch(() => undefined)
  await alerts?.stop().catch(() => undefined)
  let blockListItems: number | null = null
  if (clients && status !== 'failed') {
    blockListItems = await countBlockListItems(clients.dynamodb, names.blockListTable, runId).catch(() => null)
  }
  const scorerStats = supervisor?.totals()
  diagnostics.scorer = scorerStats
  diagnostics.producer = producer?.stats
  const summary = buildRunSummary({
    ledger,
    command: 'simulate',
    status,
    error: fatalError?.message,
    startedAtMs,
    endedAtMs: Date.now(),
    loadStartedAtMs,
    loadEndedAtMs,
    offeredTps: Math.round(plan.meanRatePerSec * 10) / 10,
    offeredWindowMs: plan.durationMs,
    late,
    config: {
      scenario: plan.scenarioName,
      scenarioPath: plan.scenarioPath,
      arrival: plan.arrival.label,
      target: options.target,
      durationMs: plan.durationMs,
      count: plan.maxCount ?? null,
      seed: plan.seed,
      shards: options.shards,
      maxLatenessMs: options.maxLatenessMs,
      thresholds: plan.thresholds,
      prefix: options.prefix,
      pollIntervalMs: options.pollIntervalMs,
      checkpointIntervalMs: options.checkpointIntervalMs,
      drainTimeoutMs: options.drainTimeoutMs,
    },
    versions: runVersions(),
    blockListItems,
    alertsObserved: alerts !== undefined,
    throttled: (producer?.stats.throttled ?? 0) + (scorerStats ? scorerStats.throttled + scorerStats.actions.throttled : 0),
    retried: (producer?.stats.retried ?? 0) + (producer?.stats.sdkRetries ?? 0) + (scorerStats ? scorerStats.retried + scorerStats.actions.retried : 0),
    scorerRestarts: supervisor?.restarts ?? 0,
    invalidRecords: scorerStats?.invalidRecords ?? 0,
    notes,
    diagnostics,
  })
  const reportDir = await writeRunReport(options.reportsDir, summary)
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
