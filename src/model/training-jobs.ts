// The trainer's jobs: what each thread of training-threads.ts runs, over shared memory, on its
// share of the rows or features (the share is the caller's to cut; see `shares`).

import { binRows, cutScratch, featureCuts, MAX_BINS, type BinCuts } from './binning.js'
import { addLeafValues, addTreeMargins, computeGradients, SCRATCH_FEATURE_STRIDE, splitRows, sumGradients, type BinnedRows } from './boosting-kernels.js'
import type { Tree } from './tree-ensemble.js'

// The trainer's jobs: what each thread of training-threads.ts runs, over shared memory, on its
// share of the rows or features (the share is the caller's to cut; see \`shares\`).

/** The arrays every thread reads and writes, each on a SharedArrayBuffer. */
export interface SharedTrainingArrays {
  /** The feature matrix, row-major float32. */
  values: Float32Array
  trainRows: Uint32Array
  /** Each feature's cut points, MAX_BINS apart, and how many it has. */
  cutValues: Float32Array
  cutCounts: Int32Array
  data: BinnedRows
  /** This round's sampled rows; a tree's nodes own ranges of it. */
  sample: Uint32Array
  /** Where a split puts the rows that go right, at their range's offsets, before they are copied back. */
  rightRows: Uint32Array
  inSample: Uint8Array
  margins: Float64Array
  /** 1 for validation rows, whose probabilities go to validationScores after each tree. */
  validation: Uint8Array
  validationScores: Float64Array
  labels: Uint8Array
  weights: Float64Array
}

export type TrainingJob =
  | { kind: 'cuts'; from: number; to: number; maxBins: number }
  | { kind: 'bins'; from: number; to: number }
  | { kind: 'histogram'; slot: number; start: number; end: number; features: Int32Array }
  | { kind: 'split'; start: number; end: number; feature: number; bin: number; missingLeft: boolean }
  | { kind: 'gradients'; from: number; to: number }
  | { kind: 'margins'; from: number; to: number; tree: Tree }
  | { kind: 'leaves'; leaves: Array<{ start: number; end: number; value: number }> }

/** What one thread works with: the shared arrays, the histograms it has been handed, and its own scratch. */
export interface ThreadState extends SharedTrainingArrays {
  histograms: Float64Array[]
  scratch: Float64Array
}

export function threadState(shared: SharedTrainingArrays): ThreadState {
  return { ...shared, histograms: [], scratch: new Float64Array(shared.data.columns * SCRATCH_FEATURE_STRIDE) }
}

/** Runs one job on this thread; a split returns how many rows went left, the others 0. */
export function runJob(state: ThreadState, job: TrainingJob): number {
  switch (job.kind) {
    case 'cuts': {
      const scratch = cutScratch(state.trainRows.length)
      for (let f = job.from; f < job.to; f++) {
        const cuts = featureCuts(state.values, state.data.columns, state.trainRows, f, job.maxBins, scratch)
        state.cutValues.set(cuts, f * MAX_BINS)
        state.cutCounts[f] = cuts.length
      }
      return 0
    }
    case 'bins': {
      const { data } = state
      binRows(state.values, data.columns, data.rowCount, sharedCuts(state), job.from, job.to, data.bins, data.binsByFeature)
      return 0
    }
    case 'histogram':
      sumGradients(state.data, state.histograms[job.slot], state.scratch, state.sample, job.start, job.end, job.features)
      return 0
    case 'split':
      return splitRows(state.data, state.sample, state.rightRows, job.start, job.end, job.feature, job.bin, job.missingLeft)
    case 'gradients':
      computeGradients(state.data, state.sample, job.from, job.to, state.margins, state.labels, state.weights)
      return 0
    case 'margins':
      addTreeMargins(state.data, job.tree, state.inSample, state.margins, state.validation, state.validationScores, job.from, job.to)
      return 0
    case 'leaves':
      addLeafValues(state.sample, state.margins, job.leaves)
      return 0
  }
}

/** The cut points the 'cuts' jobs wrote. */
export function sharedCuts(shared: SharedTrainingArrays): BinCuts {
  return { cuts: Array.from(shared.cutCounts, (count, f) => shared.cutValues.subarray(f * MAX_BINS, f * MAX_BINS + count)) }
}

/** Leaf ranges in `parts` groups of about as many rows each; a range may be cut between two groups. */
export function shareLeaves(leaves: ReadonlyArray<{ start: number; end: number; value: number }>, parts: number): Array<Array<{ start: number; end: number; value: number }>> {
  const total = leaves.reduce((sum, leaf) => sum + leaf.end - leaf.start, 0)
  const groups: Array<Array<{ start: number; end: number; value: number }>> = Array.from({ length: parts }, () => [])
  let done = 0
  for (const { start, end, value } of leaves) {
    for (let from = start; from < end; ) {
      const group = Math.min(parts - 1, Math.floor((done * parts) / total))
      const groupEnd = Math.ceil(((group + 1) * total) / parts)
      const to = Math.min(end, from + Math.max(1, groupEnd - done))
      groups[group].push({ start: from, end: to, value })
      done += to - from
      from = to
    }
  }
  return groups
}

/** [from, to) of each of `parts` near-equal shares of [start, end). */
export function shares(start: number, end: number, parts: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  for (let p = 0; p < parts; p++) ranges.push([start + Math.floor(((end - start) * p) / parts), start + Math.floor(((end - start) * (p + 1)) / parts)])
  return ranges
}
