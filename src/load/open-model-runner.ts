import type { ArrivalSchedule } from './arrival-schedule.js'
import type { PauseGate } from './pause-gate.js'
import type { RunSource } from './run-source.js'

export interface OpenModelRunOptions {
  schedule: ArrivalSchedule
  startAtMs: number
  now: () => number
  wait: (ms: number) => Promise<void>
  /** Hands transaction `index`, due at `scheduledAtMs`, to the producer. */
  emit: (index: number, scheduledAtMs: number) => void
  /** Transaction `index` could not be sent within `maxLatenessMs` of its time: it is not sent. */
  drop: (index: number, scheduledAtMs: number) => void
  /** False while the producer's backlog is full; emission then waits and lateness grows. */
  canEmit: () => boolean
  /** A finite or read-ahead source: the run ends when it is exhausted, and waits while it is not ready. */
  source?: Pick<RunSource, 'available' | 'exhausted'>
  /** A transaction this late is dropped (and counted) rather than sent. */
  maxLatenessMs: number
  /** A transaction emitted later than this after its time counts as late. */
  lateThresholdMs?: number
  signal?: AbortSignal
  /** How many due transactions to emit before yielding to I/O. */
  burst?: number
  /** While paused nothing is emitted, and the schedule shifts by the time spent paused. */
  pause?: Pick<PauseGate, 'paused' | 'pausedMs'>
}

export interface OpenModelRunResult {
  emitted: number
  dropped: number
  late: number
  /** Times the runner found the producer full and had to wait. */
  backpressureWaits: number
}

/**
 * Emits every transaction at its scheduled time (offsets from the absolute start, so timer jitter
 * never accumulates). When the producer cannot keep up, a transaction keeps its scheduled time, so
 * the delay shows as lateness and in end-to-end latency (no coordinated omission); one that would
 * be later than `maxLatenessMs` is dropped and counted, never queued without bound.
 */
export async function runOpenModel(options: OpenModelRunOptions): Promise<OpenModelRunResult> {
  const { schedule, now, wait, emit, drop, canEmit, signal, maxLatenessMs, pause } = options
  const lateThresholdMs = options.lateThresholdMs ?? 50
  const burst = options.burst ?? 256
  const result: OpenModelRunResult = { emitted: 0, dropped: 0, late: 0, backpressureWaits: 0 }
  const source = options.source
  let index = 0
  let offset: number | undefined
  /** Asks the schedule for the next arrival once the source has a transaction for it. */
  const nextOffset = (): 'ready' | 'waiting' | 'done' => {
    if (source?.exhausted()) return 'done'
    if (source && !source.available()) return 'waiting'
    offset = schedule.next()
    return offset === undefined ? 'done' : 'ready'
  }
  let state = nextOffset()
  while (state !== 'done' && !signal?.aborted) {
    if (state === 'waiting') {
      // The source is behind (reading a file): the schedule keeps its times, so this shows as lateness.
      await wait(1)
      state = nextOffset()
      continue
    }
    if (pause?.paused) {
      await wait(20)
      continue
    }
    const startAtMs = options.startAtMs + (pause ? pause.pausedMs() : 0)
    const nowMs = now()
    if (startAtMs + offset! > nowMs) {
      await wait(Math.min(startAtMs + offset! - nowMs, 50))
      continue
    }
    let handled = 0
    while (state === 'ready' && handled < burst) {
      const dueAtMs = startAtMs + offset!
      if (dueAtMs > nowMs) break
      const latenessMs = nowMs - dueAtMs
      if (latenessMs > maxLatenessMs) {
        drop(index, dueAtMs)
        result.dropped++
      } else if (!canEmit()) {
        result.backpressureWaits++
        break
      } else {
        if (latenessMs > lateThresholdMs) result.late++
        emit(index, dueAtMs)
        result.emitted++
      }
      index++
      handled++
      state = nextOffset()
    }
    // Yield so that the producer's I/O runs even when thousands of sends are due at once.
    await wait(handled === 0 ? 1 : 0)
  }
  return result
}
