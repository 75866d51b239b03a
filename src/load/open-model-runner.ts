import type { ArrivalSchedule } from './arrival-schedule.js'

export interface OpenModelRunOptions {
  schedule: ArrivalSchedule
  startAtMs: number
  now: () => number
  wait: (ms: number) => Promise<void>
  /** Hands transaction `index`, due at `scheduledAtMs`, to the producer. */
  emit: (index: number, scheduledAtMs: number) => void
  /** False while the producer's backlog is full; emission then waits and lateness grows. */
  canEmit: () => boolean
  signal?: AbortSignal
  /** How many due transactions to emit before yielding to I/O. */
  burst?: number
}

export interface OpenModelRunResult {
  emitted: number
  /** Times the runner found the producer full and had to wait (the transactions are late, not lost). */
  backpressureWaits: number
}

/**
 * Emits every transaction at its scheduled time. When the producer cannot keep up, the runner
 * waits; the transaction keeps its scheduled time, so the delay is measured as lateness and
 * counted in end-to-end latency (no coordinated omission).
 */
export async function runOpenModel(options: OpenModelRunOptions): Promise<OpenModelRunResult> {
  const { schedule, startAtMs, now, wait, emit, canEmit, signal } = options
  const burst = options.burst ?? 256
  let index = 0
  let backpressureWaits = 0
  while (index < schedule.total && !signal?.aborted) {
    const dueAtMs = startAtMs + schedule.offsetMs(index)
    const nowMs = now()
    if (dueAtMs > nowMs) {
      await wait(Math.min(dueAtMs - nowMs, 50))
      continue
    }
    let emittedInBurst = 0
    while (index < schedule.total && emittedInBurst < burst) {
      const due = startAtMs + schedule.offsetMs(index)
      if (due > nowMs) break
      if (!canEmit()) {
        backpressureWaits++
        break
      }
      emit(index, due)
      index++
      emittedInBurst++
    }
    // Yield so that the producer's I/O runs even when thousands of sends are due at once.
    await wait(emittedInBurst === 0 ? 1 : 0)
  }
  return { emitted: index, backpressureWaits }
}
