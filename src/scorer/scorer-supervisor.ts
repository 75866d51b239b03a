import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ScorerChildMessage } from './scorer-child.js'
import { scorerWorkerId, type ScorerConfig, type ScorerStats } from './scorer-service.js'

const CHILD_SCRIPT = fileURLToPath(new URL('./scorer-child.js', import.meta.url))
/**
 * The scorer's state is bounded by count (feature state and dedup window: about 190 MB of heap at
 * worst, a PaySim replay where nearly every account is new, `npm run bench:feature-memory`). V8
 * lets the heap grow further past the live data the larger its cap: uncapped (and with a larger
 * state) the scorer reached 1 GB resident on the full replay, with 2047 MB it peaks at 525 MB; a much smaller cap
 * makes it collect so often that it costs CPU (at 10,000/s: 53 µs a transaction at 2047 MB, 60 at
 * 1 GB, 62 at 448 MB; `npm run bench:e2e -- 30 10000`).
 */
// A small young generation: each scavenge copies what the feature state took since the last one,
// so a 4 MB one pauses the scorer about 1.5 ms at a time where the default's pauses reached 10 to
// 17 ms, at about 1.5 µs a transaction more CPU: short pauses are what keep a decision p99 low.
const SCORER_V8_FLAGS = ['--max-old-space-size=2047', '--max-semi-space-size=4']

/**
 * Runs the scorer in its own process and restarts it when it dies, as a real deployment would.
 * Each restart resumes from the shards' checkpoints; the replayed decisions are the duplicates the
 * collector removes and counts.
 */
export class ScorerSupervisor {
  restarts = 0
  /** Each process that died (not stopped): its lease-table worker id and when its exit was seen (epoch ms). */
  readonly deaths: Array<{ worker: string; atMs: number }> = []
  /** Kills asked for by `--inject scorer.crash`; their restarts do not count against maxRestarts. */
  injectedCrashes = 0
  private crashPending = false
  /** Between the child's ready message and its exit: only then can it be crashed on purpose. */
  private running = false
  private child?: ChildProcess
  private stopping = false
  private readonly finishedStats: ScorerStats[] = []
  private currentStats?: ScorerStats
  private lastError = ''
  private fatalListener?: (error: Error) => void

  constructor(
    private readonly config: ScorerConfig,
    private readonly maxRestarts = 5,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid
  }

  get scorerId(): string {
    return this.config.scorerId
  }

  onFatal(listener: (error: Error) => void): void {
    this.fatalListener = listener
  }

  async start(): Promise<void> {
    // The CLI's V8 flags (bin/run.js) are for the CLI; the scorer has its own. Few malloc arenas suit both.
    const env = { ...process.env, MALLOC_ARENA_MAX: '2' }
    const child = fork(CHILD_SCRIPT, [JSON.stringify(this.config)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: SCORER_V8_FLAGS, env })
    this.child = child
    let stderrTail = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString()).slice(-4_000)))
    child.on('message', (message: ScorerChildMessage) => {
      if (message.type === 'stats') this.currentStats = message.stats
      else if (message.type === 'error') this.lastError = message.message
    })
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: ScorerChildMessage) => message.type === 'ready' && (child.off('exit', onEarlyExit), resolve())
      const onEarlyExit = (code: number | null) => reject(new Error(`the scorer exited during start-up (code ${code}): ${stderrTail.trim()}`))
      child.once('exit', onEarlyExit)
      child.on('message', onMessage)
    })
    this.running = true
    child.once('exit', (code, signal) => {
      this.running = false
      if (this.currentStats) this.finishedStats.push(this.currentStats)
      this.currentStats = undefined
      if (this.stopping) return
      if (child.pid !== undefined) this.deaths.push({ worker: scorerWorkerId(this.config.scorerId, child.pid), atMs: Date.now() })
      const injected = this.crashPending
      this.crashPending = false
      if (!injected && this.restarts - this.injectedCrashes >= this.maxRestarts) {
        this.fatalListener?.(new Error(`the scorer died ${this.restarts + 1} times; last: ${this.lastError || signal || `exit ${code}`}`))
        return
      }
      this.restarts++
      setTimeout(() => void this.start().catch((error: Error) => this.fatalListener?.(error)), 200)
    })
  }

  /** Kills the running scorer without warning (SIGKILL), as a crash would; it is restarted from its checkpoints. */
  crash(): boolean {
    const child = this.child
    if (this.stopping || this.crashPending || !this.running || !child) return false
    this.crashPending = true
    this.injectedCrashes++
    child.kill('SIGKILL')
    return true
  }

  /** Asks the scorer to finish its batch and checkpoint, then waits for it to exit. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.stopping = true
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    await exited
    clearTimeout(timer)
  }

  /** Sums the stats of every scorer process this supervisor ran. */
  totals(): ScorerStats | undefined {
    const all = [...this.finishedStats, ...(this.currentStats ? [this.currentStats] : [])]
    if (all.length === 0) return undefined
    const totals = all.reduce(sumScorerStats)
    // Lag is a level, not a count: the latest process' figures are the true ones.
    return { ...totals, millisBehindLatest: all[all.length - 1].millisBehindLatest }
  }
}

/** Two scorer processes' stats as one: counts summed, lists (failover times) joined. */
export function sumScorerStats(a: ScorerStats, b: ScorerStats): ScorerStats {
  return sumNumbers(a, b) as ScorerStats
}

function sumNumbers(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b]
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const result: Record<string, unknown> = { ...(a as Record<string, unknown>) }
    for (const [key, value] of Object.entries(b as Record<string, unknown>)) {
      result[key] = key in result ? sumNumbers(result[key], value) : value
    }
    return result
  }
  return b
}
