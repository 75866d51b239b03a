import type { RunLedger } from '../collector/run-ledger.js'
import type { PauseGate } from '../load/pause-gate.js'
import type { ScorerStats } from '../scorer/scorer-service.js'
import type { ScorerGroup } from '../scorer/scorer-group.js'
import type { ResolvedTarget } from '../stack/targets.js'
import { isOurEmulator } from '../stack/state-file.js'
import type { RecordWriter } from '../stream/batching-producer.js'
import { nowMs } from '../util/clock.js'
import { buildLiveStatus, type LiveStatus, type RunPhase } from './live-status.js'
import type { RunResources } from './run-resources.js'

export interface RunMonitorOptions {
  command: string
  title: string
  target: string
  seed: number | null
  expectedTransactions: number
  offeredRatePerSec: number
  offeredWindowMs: number
  log?: (line: string) => void
  onStatus?: (status: LiveStatus) => void
  statusIntervalMs?: number
  onProgress?: (progress: { sent: number; decided: number; blocked: number; emitted: number }) => void
  progressIntervalMs?: number
  pause?: PauseGate
  interrupt?: AbortSignal
}

/**
 * Watches a run from outside its data path: the run's log (its last lines go to the live view),
 * the first fatal error (which aborts `fatal`), the stack's processes, and the status and progress
 * published to the terminal. Phases tell it what they started; it only reads from them.
 */
export class RunMonitor {
  readonly fatal = new AbortController()
  error?: Error
  peakRssBytes = process.memoryUsage.rss()
  private phase: RunPhase = 'starting'
  private late = 0
  private readonly messages: string[] = []
  private readonly startedAtMs = Date.now()
  private loadStartedAtMs: number | undefined
  private target?: ResolvedTarget
  private producer?: RecordWriter<number>
  private scorers?: ScorerGroup

  constructor(
    private readonly options: RunMonitorOptions,
    private readonly resources: RunResources,
  ) {}

  readonly log = (line: string): void => {
    this.messages.push(line)
    if (this.messages.length > 5) this.messages.shift()
    this.options.log?.(line)
  }

  /** Records the first fatal error and aborts `fatal`: the load stops and the drain is cut short. */
  readonly fail = (error: Error): void => {
    this.error ??= error
    this.fatal.abort()
  }

  /**
   * Records an input error (a bad row, a truncated file) as the run's failure without aborting
   * `fatal`: the load has stopped on it, and what was sent is still drained and decided.
   */
  readonly inputFailed = (error: Error): void => {
    this.error ??= error
  }

  get scorerStats(): ScorerStats | undefined {
    return this.scorers?.totals()
  }

  /** Fails the run when an emulator of the target dies mid-run. */
  watchTarget(target: ResolvedTarget): void {
    this.target = target
    const died = (name: string, pid: number, how: string) => this.fail(new Error(`${name} (pid ${pid}) ${how} mid-run; the run stopped and wrote a partial report`))
    target.ownedStack?.onUnexpectedExit((service, code, signal) => died(service.implementation, service.pid, `exited (${signal ?? `code ${code}`})`))
    const external = target.externalServices
    if (!external) return
    this.resources.interval(() => {
      const gone = external.find((service) => !isOurEmulator(service.pid))
      if (gone) died(gone.implementation, gone.pid, 'is no longer running')
    }, 500)
  }

  watchScorer(scorers: ScorerGroup): void {
    this.scorers = scorers
  }

  watchProducer(producer: RecordWriter<number>): void {
    this.producer = producer
  }

  /** Publishes the live view's status from now on (when a view asked for it). */
  publishStatus(ledger: RunLedger): void {
    const { onStatus } = this.options
    if (!onStatus) return
    const publish = () => onStatus(this.snapshot(ledger))
    publish()
    this.resources.interval(publish, this.options.statusIntervalMs ?? 250)
  }

  /** Progress a few times a second to the caller, or a log line every 2 s. */
  publishProgress(ledger: RunLedger): void {
    const { onProgress } = this.options
    this.resources.interval(
      () => {
        this.peakRssBytes = Math.max(this.peakRssBytes, process.memoryUsage.rss())
        if (onProgress) onProgress({ sent: ledger.acked, decided: ledger.decided, blocked: ledger.blocked, emitted: ledger.emittedHere })
        else if (!this.options.onStatus) this.log(progressLine(ledger, this.options.expectedTransactions, this.startedAtMs, this.scorerStats))
      },
      this.options.progressIntervalMs ?? (onProgress ? 250 : 2_000),
    )
  }

  loadStarted(atMs: number): void {
    this.loadStartedAtMs = atMs
    this.phase = 'load'
  }

  /** The schedule ended (or was stopped): the drain begins. */
  loadEnded(late: number): void {
    this.late = late
    this.phase = 'draining'
  }

  finishing(): void {
    this.phase = 'finishing'
  }

  /** The run as it stands now, for the live view and the metric outputs. */
  snapshot(ledger: RunLedger): LiveStatus {
    const { options } = this
    const now = nowMs()
    return buildLiveStatus({
      ledger,
      command: options.command,
      title: options.title,
      target: this.target?.description ?? options.target,
      seed: options.seed,
      phase: this.phase,
      paused: options.pause?.paused ?? false,
      stopping: options.interrupt?.aborted ?? false,
      startedAtMs: this.loadStartedAtMs ?? now,
      nowMs: now,
      plannedMs: options.offeredWindowMs + (options.pause?.pausedMs() ?? 0),
      expected: Math.max(options.expectedTransactions, ledger.emittedHere),
      offeredTps: options.offeredRatePerSec,
      late: this.late,
      producer: this.producer?.stats,
      scorer: this.scorerStats,
      scorerRestarts: this.scorers?.restarts ?? 0,
      lastError: this.error?.message,
      messages: this.messages,
    })
  }
}

function progressLine(ledger: RunLedger, total: number, startedAtMs: number, scorer: ScorerStats | undefined): string {
  const elapsed = ((Date.now() - startedAtMs) / 1000).toFixed(1)
  const lag = scorer ? Math.max(0, ...Object.values(scorer.millisBehindLatest)) : 0
  return `[${elapsed}s] sent ${ledger.acked}/${total} · decided ${ledger.decided} · blocked ${ledger.blocked} · alerts ${ledger.alerts} · scorer behind ${lag}ms`
}
