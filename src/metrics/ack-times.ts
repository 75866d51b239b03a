const FINEST_BUCKET_MS = 10
const MAX_BUCKETS = 1 << 16
/** Delays are counted by the millisecond up to a minute (longer ones count as a minute): a few nanoseconds an ack. */
const MAX_DELAY_MS = 60_000

/**
 * When Kinesis acknowledged each transaction, for the rate it took the offered load at.
 *
 * A backend that keeps up acknowledges each transaction some time after its schedule, so the acks
 * of a window of load fall in that window moved later. Counting only the acks inside the offered
 * window misses that last stretch of load: 6% of a 5 s run against a backend that acks in 300 ms
 * (LocalStack, or moto on a busy machine), enough to call it over capacity. `inWindow` moves the
 * window by the median time from schedule to ack, the shift that misses the fewest acks of a
 * backend that keeps up (it misses their mean distance from the median, not their mean). A backend
 * that falls behind still shows: no window of the load's length holds more acks than it took.
 *
 * Acks are counted in buckets of time (10 ms, doubled when a run outgrows 65,536 of them), so the
 * memory is bounded whatever the run's length.
 */
export class AckTimes {
  private counts = new Int32Array(1024)
  private bucketMs = FINEST_BUCKET_MS
  private readonly delays = new Int32Array(MAX_DELAY_MS + 1)
  private delayCount = 0

  /** `originMs`: epoch ms no later than the first ack (the ledger's start). */
  constructor(private readonly originMs: number) {}

  /** An ack at `atMs` (epoch ms), `delayMs` after its transaction's scheduled time when that is still known. */
  record(atMs: number, delayMs: number | undefined): void {
    let bucket = Math.max(0, Math.floor((atMs - this.originMs) / this.bucketMs))
    if (bucket >= this.counts.length) bucket = this.makeRoomFor(atMs)
    this.counts[bucket]++
    if (delayMs !== undefined) {
      this.delays[Math.min(MAX_DELAY_MS, Math.max(0, Math.round(delayMs)))]++
      this.delayCount++
    }
  }

  /** The median time from a transaction's schedule to its ack, to the millisecond (0 before any). */
  get medianDelayMs(): number {
    if (this.delayCount === 0) return 0
    let atOrBelow = 0
    let ms = 0
    while ((atOrBelow += this.delays[ms]) * 2 < this.delayCount) ms++
    return ms
  }

  /** Acks in the window from `startMs` to `endMs` (epoch ms) moved later by the median delay. */
  inWindow(startMs: number, endMs: number): number {
    const shift = this.medianDelayMs
    return Math.round(this.before(endMs + shift) - this.before(startMs + shift))
  }

  /** Acks before `atMs`, those of its bucket prorated: acks spread evenly over a bucket. */
  private before(atMs: number): number {
    const position = (atMs - this.originMs) / this.bucketMs
    if (position <= 0) return 0
    const whole = Math.min(Math.floor(position), this.counts.length)
    let count = 0
    for (let i = 0; i < whole; i++) count += this.counts[i]
    if (whole < this.counts.length) count += this.counts[whole] * (position - whole)
    return count
  }

  private makeRoomFor(atMs: number): number {
    for (;;) {
      const bucket = Math.floor((atMs - this.originMs) / this.bucketMs)
      if (bucket < this.counts.length) return bucket
      if (this.counts.length < MAX_BUCKETS) {
        const grown = new Int32Array(Math.min(MAX_BUCKETS, this.counts.length * 2))
        grown.set(this.counts)
        this.counts = grown
      } else {
        // Twice as wide: bucket i takes old buckets 2i and 2i+1.
        for (let i = 0; i < this.counts.length / 2; i++) this.counts[i] = this.counts[2 * i] + this.counts[2 * i + 1]
        this.counts.fill(0, this.counts.length / 2)
        this.bucketMs *= 2
      }
    }
  }
}
