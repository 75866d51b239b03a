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

/** Rows whose values place the cuts: every k-th training row, about this many. */
const CUT_SAMPLE_ROWS = 200_000

/** Scratch for featureCuts: room for one feature's sampled values. */
export function cutScratch(rowCount: number): Float32Array {
  return new Float32Array(Math.ceil(rowCount / Math.max(1, Math.floor(rowCount / CUT_SAMPLE_ROWS))))
}

/** One feature's quantile cut points, from (a sample of) the rows in `rows`. */
export function featureCuts(values: Float32Array, columns: number, rows: Uint32Array, f: number, maxBins: number, column: Float32Array): Float32Array {
  const step = Math.max(1, Math.floor(rows.length / CUT_SAMPLE_ROWS))
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
  return Float32Array.from(chosen)
}

/** The bin of `value`; `top` is the largest power of two ≤ cuts.length (see binSearchTop). */
export function binOf(cuts: Float32Array, value: number, top = binSearchTop(cuts)): number {
  if (value !== value) return MISSING_BIN
  // A binary search of fixed steps, k = how many cuts are below the value: no branch to mispredict.
  const n = cuts.length
  let k = 0
  for (let step = top; step > 0; step >>= 1) {
    const candidate = k + step
    if (candidate <= n && cuts[candidate - 1] < value) k = candidate
  }
  return k + 1
}

export function binSearchTop(cuts: Float32Array): number {
  let top = 1
  while (top * 2 <= cuts.length) top *= 2
  return top
}

/**
 * Bin indices of rows [from, to), twice: row-major in `bins` (a histogram reads a row's features
 * together) and feature-major in `binsByFeature` (a split reads one feature of scattered rows).
 */
export function binRows(values: Float32Array, columns: number, rowCount: number, { cuts }: BinCuts, from: number, to: number, bins: Uint8Array, binsByFeature: Uint8Array): void {
  const tops = Int32Array.from(cuts, binSearchTop)
  for (let r = from; r < to; r++) {
    const base = r * columns
    for (let f = 0; f < columns; f++) {
      const bin = binOf(cuts[f], values[base + f], tops[f])
      bins[base + f] = bin
      binsByFeature[f * rowCount + r] = bin
    }
  }
}
