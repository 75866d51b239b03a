import type { RunLedger } from '../collector/run-ledger.js'
import type { RecordWriter } from '../stream/batching-producer.js'
import { nowMs, sleep } from '../util/clock.js'
import type { RunningPipeline } from './start-pipeline.js'

const ALERT_GRACE_MS = 5_000
/** Effects only: the load's effects are taken as complete after this long without a new one. */
export const EFFECTS_QUIET_MS = 5_000

export interface DrainResult {
  /** When the last transaction was acknowledged or given up on. */
  loadEndedAtMs: number
  notes: string[]
}

/**
 * Phase 6, after the load: flush the stream writer, then wait until every transaction Kinesis
 * accepted is decided (at most `drainTimeoutMs`) and every block alerted (a short grace). `stop`
 * cuts it short (a fatal error, a second Ctrl-C); `fail` hears what makes the run fail.
 */
export async function drain(
  producer: RecordWriter<number>,
  pipeline: RunningPipeline,
  ledger: RunLedger,
  options: { stream: string; drainTimeoutMs: number; fatal: AbortSignal; stop: AbortSignal; fail: (error: Error) => void },
): Promise<DrainResult> {
  const notes: string[] = []
  pipeline.stopCrashing()
  await untilAborted(producer.flush(), options.fatal)
  const loadEndedAtMs = nowMs()
  if (producer.fatalError) options.fail(new Error(`the producer cannot write to ${options.stream}: ${producer.fatalError.message}`))
  if (pipeline.effects) {
    const { effects } = pipeline
    await waitFor(() => nowMs() - Math.max(loadEndedAtMs, effects.lastEffectAtMs) >= EFFECTS_QUIET_MS, options.drainTimeoutMs, options.stop)
    const settled = await effects.settle()
    notes.push(
      `effects only: decisions come from the alerts (timed when they arrived) and the BlockList (${settled.blockListOnly} blocks without an alert, timed by blockedAt); ` +
        `${settled.inferredAllowed} transactions without a block ${EFFECTS_QUIET_MS / 1000} s after the last effect were counted as allowed, untimed. Latency is that of the blocks alone.`,
    )
    return { loadEndedAtMs, notes }
  }
  const drained = await waitFor(() => ledger.decided >= ledger.acked, options.drainTimeoutMs, options.stop)
  if (drained) await waitFor(() => !pipeline.alerts || ledger.alerts >= ledger.blocked, ALERT_GRACE_MS, options.stop)
  else if (!options.fatal.aborted) notes.push(`drain timed out after ${options.drainTimeoutMs}ms with ${ledger.undecided} transactions undecided`)
  if (pipeline.collector?.error) options.fail(pipeline.collector.error)
  return { loadEndedAtMs, notes }
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
