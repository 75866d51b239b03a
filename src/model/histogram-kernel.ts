import { MAX_BINS } from './binning.js'

/** Doubles per feature in a node's histogram: (gradient, hessian) for each of MAX_BINS bins. */
export const FEATURE_STRIDE = MAX_BINS * 2
/** Rows are summed into this many copies of the histogram at once (see sumGradients). */
const COPIES = 4
/** Doubles per feature in the copies' scratch: COPIES (gradient, hessian) pairs per bin. */
export const SCRATCH_FEATURE_STRIDE = MAX_BINS * COPIES * 2
/** Below this many rows, clearing and folding the copies costs more than they save. */
const COPIES_FROM_ROWS = 1024

/** What the histogram, partition and update kernels read: the binned matrix and this round's gradients. */
export interface BinnedRows {
  /** Row-major bin indices, `columns` bytes a row. */
  bins: Uint8Array
  columns: number
  /** Bins in use per feature (missing, then one per interval): a histogram reads no further. */
  usedBins: Int32Array
  grad: Float64Array
  hess: Float64Array
}

/**
 * Sums gradient and hessian per (feature, bin) over rows[start, end) into `histogram`, for the
 * given features only (FEATURE_STRIDE doubles a feature, pairs by bin).
 *
 * Half the updates on real data land on the same bin as the row before (flags, missing values,
 * counts that are mostly zero), and each waits for the previous store to that address. So four
 * rows at a time are summed into four copies, the copies of a bin side by side in one 64-byte
 * cache line (`scratch`), then folded: 6.8 → 1.2 ns per update on a million rows of `mixed`.
 * The fold's order is fixed, so the sums depend only on the rows, not on who computes them.
 */
export function sumGradients(data: BinnedRows, histogram: Float64Array, scratch: Float64Array, rows: Uint32Array, start: number, end: number, features: Int32Array): void {
  const { bins, columns, grad, hess, usedBins } = data
  const nf = features.length
  if (end - start < COPIES_FROM_ROWS) {
    for (let k = 0; k < nf; k++) histogram.fill(0, features[k] * FEATURE_STRIDE, features[k] * FEATURE_STRIDE + usedBins[features[k]] * 2)
    for (let i = start; i < end; i++) {
      const r = rows[i]
      const base = r * columns
      const g = grad[r]
      const h = hess[r]
      for (let k = 0; k < nf; k++) {
        const f = features[k]
        const at = (f * MAX_BINS + bins[base + f]) << 1
        histogram[at] += g
        histogram[at + 1] += h
      }
    }
    return
  }
  for (let k = 0; k < nf; k++) scratch.fill(0, features[k] * SCRATCH_FEATURE_STRIDE, features[k] * SCRATCH_FEATURE_STRIDE + usedBins[features[k]] * COPIES * 2)
  let i = start
  for (; i + 3 < end; i += 4) {
    const r0 = rows[i]
    const r1 = rows[i + 1]
    const r2 = rows[i + 2]
    const r3 = rows[i + 3]
    const b0 = r0 * columns
    const b1 = r1 * columns
    const b2 = r2 * columns
    const b3 = r3 * columns
    const g0 = grad[r0]
    const h0 = hess[r0]
    const g1 = grad[r1]
    const h1 = hess[r1]
    const g2 = grad[r2]
    const h2 = hess[r2]
    const g3 = grad[r3]
    const h3 = hess[r3]
    for (let k = 0; k < nf; k++) {
      const f = features[k]
      const o = f * MAX_BINS
      const a0 = (o + bins[b0 + f]) << 3
      scratch[a0] += g0
      scratch[a0 + 1] += h0
      const a1 = ((o + bins[b1 + f]) << 3) + 2
      scratch[a1] += g1
      scratch[a1 + 1] += h1
      const a2 = ((o + bins[b2 + f]) << 3) + 4
      scratch[a2] += g2
      scratch[a2 + 1] += h2
      const a3 = ((o + bins[b3 + f]) << 3) + 6
      scratch[a3] += g3
      scratch[a3 + 1] += h3
    }
  }
  // The last rows (fewer than four) each go to their own copy, in order.
  for (let copy = 0; i < end; i++, copy++) {
    const r = rows[i]
    const base = r * columns
    for (let k = 0; k < nf; k++) {
      const f = features[k]
      const at = (((f * MAX_BINS + bins[base + f]) << 2) + copy) << 1
      scratch[at] += grad[r]
      scratch[at + 1] += hess[r]
    }
  }
  for (let k = 0; k < nf; k++) {
    const f = features[k]
    for (let bin = 0, used = usedBins[f]; bin < used; bin++) {
      const from = (f * MAX_BINS + bin) << 3
      const to = (f * MAX_BINS + bin) << 1
      histogram[to] = scratch[from] + scratch[from + 2] + scratch[from + 4] + scratch[from + 6]
      histogram[to + 1] = scratch[from + 1] + scratch[from + 3] + scratch[from + 5] + scratch[from + 7]
    }
  }
}
