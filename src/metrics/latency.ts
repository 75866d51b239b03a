import * as hdr from 'hdr-histogram-js'

export interface LatencySummaryMs {
  count: number
  p50: number
  p90: number
  p95: number
  p99: number
  p999: number
  max: number
  mean: number
}

/** An HDR histogram of latencies, recorded in microseconds (3 significant digits). */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true })
}

export function recordMs(histogram: hdr.Histogram, latencyMs: number): void {
  histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)))
}

export function summarize(histogram: hdr.Histogram): LatencySummaryMs {
  const ms = (us: number) => Math.round(us) / 1000
  if (histogram.totalCount === 0) return { count: 0, p50: NaN, p90: NaN, p95: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN }
  return {
    count: histogram.totalCount,
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p95: ms(histogram.getValueAtPercentile(95)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    // Like the percentiles, the bucket's highest equivalent value: what a decoded or merged histogram also reports.
    max: ms(histogram.getValueAtPercentile(100)),
    mean: ms(histogram.mean),
  }
}
