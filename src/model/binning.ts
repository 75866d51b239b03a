/** Bin 0 holds missing values (NaN); bins 1…cuts.length+1 hold values in order. */
export const MISSING_BIN = 0
export const MAX_BINS = 256

/**
 * Per-feature cut points: float32 values, so that "x ≤ cut" reads the same in the trainer and in
 * onnxruntime (which compares float32 inputs against float32 thresholds). A value goes to bin
 * k + 1 where cuts[k] is the first cut ≥ the value; values above every cut go to the last bin.
 */
export interface BinCuts {
  cuts: Float32Array[]
}

/** Quantile cut points from (a sample of) the rows in `rows`. */
export function computeCuts(values: Float32Array, columns: number, rows: Uint32Array, maxBins = MAX_BINS, sampleSize = 200_000): BinCuts {
  const step = Math.max(1, Math.floor(rows.length / sampleSize))
  const sampleCount = Math.ceil(rows.length / step)
  const column = new Float32Array(sampleCount)
  const cuts: Float32Array[] = []
  for (let f = 0; f < columns; f++) {
    let n = 0
    for (let i = 0; i < rows.length; i += step) {
      const v = values[rows[i] * columns + f]
      if (v === v) column[n++] = v
    }
    const sorted = column.subarray(0, n).sort()
    const distinct: number[] = []
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i])
    const maxCuts = maxBins - 2
    let chosen: number[]
    if (distinct.length <= maxCuts + 1) chosen = distinct.slice(0, -1)
    else {
      chosen = []
      for (let q = 1; q <= maxCuts; q++) {
        const value = sorted[Math.min(n - 1, Math.floor((q * n) / (maxCuts + 1)))]
        if (chosen.length === 0 || value > chosen[chosen.length - 1]) chosen.push(value)
      }
      // The top quantile may equal the maximum: a cut there would leave the last bin empty.
      if (chosen[chosen.length - 1] === sorted[n - 1]) chosen.pop()
    }
    cuts.push(Float32Array.from(chosen))
  }
  return { cuts }
}

export function binOf(cuts: Float32Array, value: number): number {
  if (value !== value) return MISSING_BIN
  let lo = 0
  let hi = cuts.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cuts[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo + 1
}

/** Row-major bin indices, one byte per value. */
export function binMatrix(values: Float32Array, columns: number, rows: number, { cuts }: BinCuts): Uint8Array {
  const bins = new Uint8Array(rows * columns)
  for (let r = 0; r < rows; r++) {
    const base = r * columns
    for (let f = 0; f < columns; f++) bins[base + f] = binOf(cuts[f], values[base + f])
  }
  return bins
}
