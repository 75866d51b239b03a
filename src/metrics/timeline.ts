import * as hdr from 'hdr-histogram-js'
import { recordMs, summarize, type LatencySummaryMs } from './latency.js'

/** At most this many buckets: a longer run doubles the bucket width (and merges neighbours) instead. */
export const MAX_TIMELINE_BUCKETS = 240
export const FIRST_BUCKET_MS = 1_000

export interface TimelineCounts {
  /** Scheduled in the bucket (sent or dropped). */
  offered: number
  dropped: number
  /** Acknowledged by Kinesis in the bucket. */
  sent: number
  /** Decisions observed in the bucket. */
  decided: number
  blocked: number
  /** Of the transactions scheduled in the bucket and decided (first verdict): frauds, frauds blocked, genuine blocked. */
  frauds: number
  caught: number
  falsePositives: number
  /** The same per fraud archetype (frauds, caught), for the archetypes that had any. */
  archetypes?: Record<string, ArchetypeCounts>
}

export interface ArchetypeCounts {
  frauds: number
  caught: number
}

interface Bucket extends TimelineCounts {
  /** Decision latency of the transactions scheduled in the bucket. */
  latency: hdr.Histogram | undefined
}

export interface TimelinePoint extends Omit<TimelineCounts, 'archetypes'> {
  /** Bucket start, epoch milliseconds. */
  at: number
  /** Decision latency of the transactions scheduled in the bucket. */
  decision: Pick<LatencySummaryMs, 'count' | 'p50' | 'p90' | 'p99' | 'max'>
  /** Of the transactions scheduled in the bucket; null without a denominator. */
  recall: number | null
  precision: number | null
  archetypes: Record<string, ArchetypeCounts & { recall: number | null }>
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null)

function emptyBucket(): Bucket {
  return { offered: 0, dropped: 0, sent: 0, decided: 0, blocked: 0, frauds: 0, caught: 0, falsePositives: 0, latency: undefined }
}

/** Adds `from`'s counts (not its latency) into `into`. */
function addCounts(into: TimelineCounts, from: TimelineCounts): void {
  into.offered += from.offered
  into.dropped += from.dropped
  into.sent += from.sent
  into.decided += from.decided
  into.blocked += from.blocked
  into.frauds += from.frauds
  into.caught += from.caught
  into.falsePositives += from.falsePositives
  for (const [name, counts] of Object.entries(from.archetypes ?? {})) {
    const archetypes = (into.archetypes ??= {})
    const existing = (archetypes[name] ??= { frauds: 0, caught: 0 })
    existing.frauds += counts.frauds
    existing.caught += counts.caught
  }
}

/** Two significant digits: a bucket's histogram costs ~14 KB instead of ~45 KB, and percentiles over time need no more. */
export function newBucketHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2, autoResize: true })
}

/**
 * Throughput and latency over time in fixed-width buckets aligned to the epoch (so timelines
 * recorded on several hosts line up and merge exactly). Memory is bounded: past
 * MAX_TIMELINE_BUCKETS the width doubles and neighbouring buckets merge, counts and histograms alike.
 */
export class Timeline {
  bucketMs = FIRST_BUCKET_MS
  private readonly buckets = new Map<number, Bucket>()
  private first = Infinity
  private last = -Infinity

  recordOffered(atMs: number): void {
    this.bucketAt(atMs).offered++
  }

  recordDropped(atMs: number): void {
    const bucket = this.bucketAt(atMs)
    bucket.offered++
    bucket.dropped++
  }

  recordSent(atMs: number): void {
    this.bucketAt(atMs).sent++
  }

  recordDecided(atMs: number, blocked: boolean): void {
    const bucket = this.bucketAt(atMs)
    bucket.decided++
    if (blocked) bucket.blocked++
  }

  /** A transaction's first verdict, at its scheduled time: `archetype` for a fraud, undefined for a genuine one. */
  recordOutcome(scheduledAtMs: number, archetype: string | undefined, blocked: boolean): void {
    const bucket = this.bucketAt(scheduledAtMs)
    if (archetype === undefined) {
      if (blocked) bucket.falsePositives++
      return
    }
    bucket.frauds++
    const counts = ((bucket.archetypes ??= {})[archetype] ??= { frauds: 0, caught: 0 })
    counts.frauds++
    if (blocked) {
      bucket.caught++
      counts.caught++
    }
  }

  recordLatency(scheduledAtMs: number, latencyMs: number): void {
    const bucket = this.bucketAt(scheduledAtMs)
    recordMs((bucket.latency ??= newBucketHistogram()), latencyMs)
  }

  /** Adds a bucket recorded elsewhere (a merge): `atMs` is its start, `widthMs` its width. */
  addBucket(atMs: number, widthMs: number, counts: TimelineCounts, latency: hdr.Histogram | undefined): void {
    while (this.bucketMs < widthMs) this.coarsen()
    const bucket = this.bucketAt(atMs)
    addCounts(bucket, counts)
    if (latency && latency.totalCount) (bucket.latency ??= newBucketHistogram()).add(latency)
  }

  /** Every bucket from the first to the last, empty ones included, in time order. */
  points(): Array<{ at: number; counts: TimelineCounts; latency: hdr.Histogram | undefined }> {
    const result = []
    for (let key = this.first; key <= this.last; key++) {
      const bucket = this.buckets.get(key)
      const { latency, ...counts } = bucket ?? emptyBucket()
      result.push({ at: key * this.bucketMs, counts, latency })
    }
    return result
  }

  summarize(): { bucketMs: number; points: TimelinePoint[] } {
    return {
      bucketMs: this.bucketMs,
      points: this.points().map(({ at, counts, latency }) => {
        const { count, p50, p90, p99, max } = latency ? summarize(latency) : summarize(newBucketHistogram())
        const { archetypes = {}, ...plain } = counts
        return {
          at,
          ...plain,
          decision: { count, p50, p90, p99, max },
          recall: ratio(plain.caught, plain.frauds),
          precision: ratio(plain.caught, plain.caught + plain.falsePositives),
          archetypes: Object.fromEntries(Object.entries(archetypes).map(([name, c]) => [name, { ...c, recall: ratio(c.caught, c.frauds) }])),
        }
      }),
    }
  }

  private bucketAt(atMs: number): Bucket {
    let key = Math.floor(atMs / this.bucketMs)
    while (Math.max(this.last, key) - Math.min(this.first, key) + 1 > MAX_TIMELINE_BUCKETS) {
      this.coarsen()
      key = Math.floor(atMs / this.bucketMs)
    }
    let bucket = this.buckets.get(key)
    if (!bucket) {
      bucket = emptyBucket()
      this.buckets.set(key, bucket)
      if (key < this.first) this.first = key
      if (key > this.last) this.last = key
    }
    return bucket
  }

  private coarsen(): void {
    const old = [...this.buckets]
    this.buckets.clear()
    this.bucketMs *= 2
    this.first = Infinity
    this.last = -Infinity
    for (const [key, bucket] of old) {
      const to = Math.floor(key / 2)
      const existing = this.buckets.get(to)
      if (!existing) this.buckets.set(to, bucket)
      else {
        addCounts(existing, bucket)
        if (bucket.latency) (existing.latency ??= newBucketHistogram()).add(bucket.latency)
      }
      this.first = Math.min(this.first, to)
      this.last = Math.max(this.last, to)
    }
  }
}

export interface PeriodAccuracy {
  frauds: number
  caught: number
  falsePositives: number
  recall: number | null
  precision: number | null
}

/** The first minute of a load, or the first quarter of a shorter one, in whole buckets (at least one). */
export function coldStartWindowMs(bucketMs: number, loadDurationMs: number): number {
  return Math.max(bucketMs, Math.min(60_000, Math.floor(loadDurationMs / 4 / bucketMs) * bucketMs))
}

/**
 * Detection in the first `firstMs` of the timeline against the rest: a scorer that starts with an
 * empty feature state shows it in the first part.
 */
export function accuracyBeforeAndAfter(points: readonly TimelinePoint[], firstMs: number): { firstMs: number; first: PeriodAccuracy; rest: PeriodAccuracy } {
  const start = points[0]?.at ?? 0
  const sum = (part: readonly TimelinePoint[]): PeriodAccuracy => {
    const frauds = part.reduce((n, p) => n + p.frauds, 0)
    const caught = part.reduce((n, p) => n + p.caught, 0)
    const falsePositives = part.reduce((n, p) => n + p.falsePositives, 0)
    return { frauds, caught, falsePositives, recall: ratio(caught, frauds), precision: ratio(caught, caught + falsePositives) }
  }
  return { firstMs, first: sum(points.filter((p) => p.at - start < firstMs)), rest: sum(points.filter((p) => p.at - start >= firstMs)) }
}
