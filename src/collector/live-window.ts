import type { Histogram } from 'hdr-histogram-js'
import { recordMs, summarize } from '../metrics/latency.js'
import { newBucketHistogram } from '../metrics/timeline.js'

export const LIVE_SERIES = ['decision', 'endToEnd', 'generatorLag', 'put', 'propagation', 'scoring', 'actions', 'collection'] as const
export type LiveSeries = (typeof LIVE_SERIES)[number]

export interface RecentBlock {
  transactionId: string
  score: number
  reasons: string[]
  /** From the ledger's labels: whether this block was right. */
  isFraud: boolean
  archetype: string
  atMs: number
}

export interface WindowPercentiles {
  count: number
  p50: number
  p95: number
  p99: number
}

const RECENT_BLOCKS = 20

/**
 * What only the live view needs, kept apart so a run without it pays nothing: latencies of the
 * last few seconds (two histograms per series, rotated by the snapshot timer, so the hot path
 * never reads the clock) and the latest blocks with their reasons.
 */
export class LiveWindow {
  private current = newSeries()
  private previous = newSeries()
  private rotatedAt: number
  private readonly blocks: RecentBlock[] = []

  constructor(
    readonly windowMs: number,
    now: number,
  ) {
    this.rotatedAt = now
  }

  record(series: LiveSeries, latencyMs: number): void {
    recordMs(this.current[series], latencyMs)
  }

  recordBlock(block: RecentBlock): void {
    this.blocks.push(block)
    if (this.blocks.length > RECENT_BLOCKS) this.blocks.shift()
  }

  /** Percentiles over the last one to two windows; rotates when a window has passed. */
  snapshot(now: number): { latency: Record<LiveSeries, WindowPercentiles>; blocks: RecentBlock[] } {
    if (now - this.rotatedAt >= this.windowMs) {
      const recycled = this.previous
      for (const series of LIVE_SERIES) recycled[series].reset()
      this.previous = this.current
      this.current = recycled
      this.rotatedAt = now
    }
    const latency = {} as Record<LiveSeries, WindowPercentiles>
    for (const series of LIVE_SERIES) {
      const merged = newBucketHistogram()
      merged.add(this.previous[series])
      merged.add(this.current[series])
      latency[series] = percentiles(merged)
    }
    return { latency, blocks: [...this.blocks].reverse() }
  }
}

export function percentiles(histogram: Histogram): WindowPercentiles {
  const { count, p50, p95, p99 } = summarize(histogram)
  return { count, p50, p95, p99 }
}

function newSeries(): Record<LiveSeries, Histogram> {
  return Object.fromEntries(LIVE_SERIES.map((series) => [series, newBucketHistogram()])) as Record<LiveSeries, Histogram>
}
