import type { Random } from '../util/random.js'

/** When each transaction of a run is due, as offsets from the run's start (open model). */
export interface ArrivalSchedule {
  /** Offset in ms of the next arrival, or undefined once the profile is over. */
  next(): number | undefined
  /** How many arrivals the profile offers (exact unless Poisson or event-time). */
  readonly expectedTotal: number
  readonly durationMs: number
  readonly meanRatePerSec: number
}

/** A stretch of time over which the rate (per second) changes linearly; rates jump between stretches. */
export interface RateStretch {
  durationMs: number
  startRate: number
  endRate: number
}

/**
 * Arrivals of a piecewise-linear rate profile (k6's constant, ramping and spike executors). The
 * k-th arrival is at N⁻¹(k), where N(t) is the expected number of arrivals by t, solved exactly
 * per stretch; with `poisson`, at N⁻¹(S_k) where S_k is a sum of unit exponentials, which gives a
 * Poisson process of the same instantaneous rate. Offsets come from the start, so nothing drifts.
 */
export class RateProfileSchedule implements ArrivalSchedule {
  readonly expectedTotal: number
  readonly durationMs: number
  readonly meanRatePerSec: number
  private readonly stretches: Array<RateStretch & { startMs: number; arrivalsBefore: number; arrivals: number }> = []
  private target = 0
  private emitted = 0
  private stretchIndex = 0

  constructor(
    stretches: RateStretch[],
    private readonly options: { poisson?: Random; maxCount?: number } = {},
  ) {
    let startMs = 0
    let arrivalsBefore = 0
    for (const stretch of stretches) {
      if (stretch.durationMs <= 0) continue
      if (stretch.startRate < 0 || stretch.endRate < 0) throw new RangeError('rates must not be negative')
      const arrivals = ((stretch.startRate + stretch.endRate) / 2) * (stretch.durationMs / 1000)
      this.stretches.push({ ...stretch, startMs, arrivalsBefore, arrivals })
      startMs += stretch.durationMs
      arrivalsBefore += arrivals
    }
    this.durationMs = startMs
    const total = Math.floor(arrivalsBefore + 1e-9)
    this.expectedTotal = Math.min(options.maxCount ?? Infinity, total)
    this.meanRatePerSec = startMs > 0 ? arrivalsBefore / (startMs / 1000) : 0
    if (options.poisson) this.target = options.poisson.exponential(1)
  }

  next(): number | undefined {
    if (this.options.maxCount !== undefined && this.emitted >= this.options.maxCount) return undefined
    const k = this.options.poisson ? this.target : this.emitted
    while (this.stretchIndex < this.stretches.length) {
      const stretch = this.stretches[this.stretchIndex]
      const within = k - stretch.arrivalsBefore
      // The tolerance keeps floating-point error from adding an arrival at a stretch's very end.
      if (within < stretch.arrivals - 1e-7) {
        this.emitted++
        if (this.options.poisson) this.target += this.options.poisson.exponential(1)
        return stretch.startMs + secondsToReach(within, stretch) * 1000
      }
      this.stretchIndex++
    }
    return undefined
  }
}

/** Seconds into a stretch at which `count` arrivals are expected: solves r0·u + (r1−r0)·u²/(2L) = count. */
function secondsToReach(count: number, stretch: RateStretch): number {
  if (count <= 0) return 0
  const lengthSec = stretch.durationMs / 1000
  const a = (stretch.endRate - stretch.startRate) / (2 * lengthSec)
  const b = stretch.startRate
  const discriminant = b * b + 4 * a * count
  // 2c / (b + √(b² + 4ac)) is the stable form of the quadratic root; it also covers a = 0.
  return (2 * count) / (b + Math.sqrt(Math.max(0, discriminant)))
}

export function constantStretches(ratePerSec: number, durationMs: number): RateStretch[] {
  return [{ durationMs, startRate: ratePerSec, endRate: ratePerSec }]
}

/** k6's ramping-arrival-rate: from `startRate`, each stage moves linearly to its target. */
export function rampingStretches(startRate: number, stages: Array<{ target: number; durationMs: number }>): RateStretch[] {
  let from = startRate
  return stages.map((stage) => {
    const stretch = { durationMs: stage.durationMs, startRate: from, endRate: stage.target }
    from = stage.target
    return stretch
  })
}

export function spikeStretches(rate: number, spikeRate: number, spikeAtMs: number, spikeDurationMs: number, durationMs: number): RateStretch[] {
  return [
    { durationMs: spikeAtMs, startRate: rate, endRate: rate },
    { durationMs: spikeDurationMs, startRate: spikeRate, endRate: spikeRate },
    { durationMs: durationMs - spikeAtMs - spikeDurationMs, startRate: rate, endRate: rate },
  ]
}

/** Cuts a profile at `durationMs` (a `--duration` shorter than the file's profile). */
export function truncateStretches(stretches: RateStretch[], durationMs: number): RateStretch[] {
  const result: RateStretch[] = []
  let left = durationMs
  for (const stretch of stretches) {
    if (left <= 0) break
    if (stretch.durationMs <= left) result.push(stretch)
    else {
      const fraction = left / stretch.durationMs
      result.push({ durationMs: left, startRate: stretch.startRate, endRate: stretch.startRate + (stretch.endRate - stretch.startRate) * fraction })
    }
    left -= stretch.durationMs
  }
  return result
}

/**
 * Sends each transaction at its own event time divided by `timeScale` (event ms per wall ms), so
 * the load follows the population's rhythm: 30 simulated days in 60 s is a time scale of 43,200.
 */
export class EventTimeSchedule implements ArrivalSchedule {
  readonly expectedTotal: number
  readonly meanRatePerSec: number
  private readonly maxCount?: number
  private emitted = 0

  constructor(
    private readonly peekEventTimeMs: () => number,
    private readonly startEventTimeMs: number,
    private readonly timeScale: number,
    readonly durationMs: number,
    options: { naturalRatePerEventSec: number; maxCount?: number },
  ) {
    this.meanRatePerSec = options.naturalRatePerEventSec * timeScale
    this.expectedTotal = Math.min(options.maxCount ?? Infinity, Math.floor((this.meanRatePerSec * durationMs) / 1000))
    this.maxCount = options.maxCount
  }

  next(): number | undefined {
    if (this.maxCount !== undefined && this.emitted >= this.maxCount) return undefined
    const offsetMs = (this.peekEventTimeMs() - this.startEventTimeMs) / this.timeScale
    if (offsetMs > this.durationMs) return undefined
    this.emitted++
    // Event time that goes back (a file not sorted by time) is sent straight after what came
    // before it, not scheduled in the past where it would count as late or be dropped.
    this.lastOffsetMs = Math.max(this.lastOffsetMs, offsetMs)
    return this.lastOffsetMs
  }

  private lastOffsetMs = 0
}
