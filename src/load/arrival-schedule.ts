/** When each transaction of a run is due, as an offset from the run's start (open model). */
export interface ArrivalSchedule {
  readonly total: number
  readonly offeredRatePerSec: number
  offsetMs(index: number): number
}

/**
 * A constant arrival rate. Offsets are computed from the start for every index (never "one
 * interval after the previous send"), so timer jitter does not accumulate into drift.
 */
export class ConstantArrivalSchedule implements ArrivalSchedule {
  readonly total: number
  private readonly intervalMs: number

  constructor(
    readonly offeredRatePerSec: number,
    limits: { durationMs?: number; count?: number },
  ) {
    if (!(offeredRatePerSec > 0)) throw new RangeError('rate must be positive')
    this.intervalMs = 1000 / offeredRatePerSec
    const fromDuration = limits.durationMs === undefined ? Infinity : Math.floor((limits.durationMs * offeredRatePerSec) / 1000)
    this.total = Math.min(limits.count ?? Infinity, fromDuration)
    if (!Number.isFinite(this.total)) throw new RangeError('a schedule needs a duration or a count')
  }

  offsetMs(index: number): number {
    return index * this.intervalMs
  }
}
