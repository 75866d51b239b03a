import { availableParallelism } from 'node:os'
import { Random } from '../util/random.js'
import { MAX_BINS, type BinCuts } from './binning.js'
import { rowsWhere, type FeatureMatrix } from './feature-matrix.js'
import { logLoss, prAuc } from '../metrics/score-ranking.js'
import { TreeEnsemble, type Tree } from './tree-ensemble.js'
import { FEATURE_STRIDE, type BinnedRows } from './boosting-kernels.js'
import { sharedCuts, shareLeaves, shares, type SharedTrainingArrays } from './training-jobs.js'
import { TrainingThreads } from './training-threads.js'

export interface TrainOptions {
  /** Most boosting rounds (trees). */
  rounds: number
  learningRate: number
  maxDepth: number
  /** Most leaves per tree; trees grow best-first up to this or `maxDepth`. */
  maxLeaves: number
  /** Least hessian (weighted) in a child, as XGBoost's min_child_weight. */
  minChildWeight: number
  /** L2 regularisation of leaf values. */
  lambda: number
  /** Least loss reduction for a split. */
  gamma: number
  /** Share of training rows each tree sees. */
  subsample: number
  /** Share of features each tree may split on. */
  colsample: number
  /** Stop when validation PR-AUC has not improved for this many rounds, keeping the best round (0: never stop, keep every round). */
  earlyStoppingRounds: number
  /** Weight of each positive row relative to a negative one. */
  positiveWeight: number
  maxBins: number
  seed: number
  /** Threads that build histograms, split nodes and update margins; the model is the same for any number. */
  threads: number
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  rounds: 300,
  learningRate: 0.1,
  maxDepth: 6,
  maxLeaves: 32,
  minChildWeight: 1,
  lambda: 1,
  gamma: 0,
  subsample: 0.8,
  colsample: 0.8,
  earlyStoppingRounds: 30,
  positiveWeight: 1,
  maxBins: MAX_BINS,
  seed: 1,
  threads: availableParallelism(),
}

export interface RoundReport {
  round: number
  trainLogLoss: number
  validationPrAuc: number
  bestRound: number
  elapsedMs: number
}

export interface TrainResult {
  model: TreeEnsemble
  history: RoundReport[]
  bestRound: number
  trainRows: number
  validationRows: number
  /** Validation probabilities of the kept model, by matrix row (NaN for training rows). */
  validationScores: Float64Array
  elapsedMs: number
  /** The options trained with, defaults filled in. */
  params: TrainOptions
  /** Where the training time went (setup: bins; per round: gradients, growing trees, margins, evaluation). */
  phaseMs: { setup: number; gradients: number; grow: number; update: number; evaluate: number }
}

interface SplitCandidate {
  gain: number
  feature: number
  bin: number
  missingLeft: boolean
  leftG: number
  leftH: number
}

interface NodeRecord {
  feature: number
  threshold: number
  bin: number
  missingLeft: boolean
  left: number
  right: number
  g: number
  h: number
}

interface GrowingNode {
  id: number
  start: number
  end: number
  depth: number
  g: number
  h: number
  /** Its histogram's slot in the grower's shared histograms. */
  slot: number
  split?: SplitCandidate
}

/**
 * Histogram-based gradient-boosted trees for binary classification (log loss), in the manner of
 * XGBoost's `hist` and LightGBM: features are bucketed once into ≤ 256 bins, each node sums
 * gradients per bin, the larger child's histogram is its parent's minus the smaller's, and each
 * split learns which way missing values go.
 */
export async function trainGbt(matrix: FeatureMatrix, options: Partial<TrainOptions> = {}, onRound?: (report: RoundReport) => void, stopRequested?: () => boolean): Promise<TrainResult> {
  const o = { ...DEFAULT_TRAIN_OPTIONS, ...options }
  const started = performance.now()
  const trainRows = rowsWhere(matrix.validation, 0)
  const validationRows = rowsWhere(matrix.validation, 1)
  const shared = sharedTrainingArraysFor(matrix, trainRows)
  const threads = await TrainingThreads.start(o.threads, shared)
  try {
    return await boost({ matrix, o, trainRows, validationRows, shared, threads, started }, onRound, stopRequested)
  } finally {
    await threads.close()
  }
}

interface Boosting {
  matrix: FeatureMatrix
  o: TrainOptions
  trainRows: Uint32Array
  validationRows: Uint32Array
  shared: SharedTrainingArrays
  threads: TrainingThreads
  /** performance.now() when training began. */
  started: number
}

/** Bins the matrix, then grows trees round by round (the threads are the caller's to close). */
async function boost({ matrix, o, trainRows, validationRows, shared, threads, started }: Boosting, onRound?: (report: RoundReport) => void, stopRequested?: () => boolean): Promise<TrainResult> {
  const columns = matrix.columns
  threads.run(shares(0, columns, Math.min(threads.count, columns)).map(([from, to]) => ({ kind: 'cuts', from, to, maxBins: o.maxBins })))
  const cuts = sharedCuts(shared)
  shared.data.usedBins.set(cuts.cuts.map((c) => Math.min(MAX_BINS, c.length + 2)))
  threads.run(shares(0, matrix.rows, threads.count).map(([from, to]) => ({ kind: 'bins', from, to })))
  const { labels, weights, margins, sample, inSample } = shared
  let weightSum = 0
  let positiveWeightSum = 0
  for (const r of trainRows) {
    weights[r] = labels[r] ? o.positiveWeight : 1
    weightSum += weights[r]
    if (labels[r]) positiveWeightSum += weights[r]
  }
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positiveWeightSum / weightSum))
  const baseMargin = Math.fround(Math.log(rate / (1 - rate)))
  margins.fill(baseMargin)
  const random = new Random(o.seed)
  const grower = new TreeGrower(shared, threads, cuts, o)
  const lossRows = everyNth(trainRows, Math.max(1, Math.floor(trainRows.length / 50_000)))
  const trees: Tree[] = []
  const history: RoundReport[] = []
  let best = { round: 0, prAuc: -Infinity }
  const validationScores = shared.validationScores.fill(NaN)
  const bestScores = new Float64Array(matrix.rows).fill(NaN)

  const phaseMs = { setup: performance.now() - started, gradients: 0, grow: 0, update: 0, evaluate: 0 }
  for (let round = 1; round <= o.rounds; round++) {
    let mark = performance.now()
    const sampleSize = drawSample(trainRows, o.subsample, random, sample, inSample)
    // Only this tree's rows need gradients: the others do not shape it.
    threads.run(shares(0, sampleSize, threads.count).map(([from, to]) => ({ kind: 'gradients', from, to })))
    const features = pickFeatures(columns, o.colsample, random)
    phaseMs.gradients += performance.now() - mark
    mark = performance.now()
    const { tree, leafRanges } = grower.grow(sampleSize, features)
    phaseMs.grow += performance.now() - mark
    mark = performance.now()
    trees.push(tree)
    // The sampled rows sit in their leaves' ranges of the partition; only the others walk the tree.
    threads.run(shareLeaves(leafRanges, threads.count).map((leaves) => ({ kind: 'leaves', leaves })))
    threads.run(shares(0, matrix.rows, threads.count).map(([from, to]) => ({ kind: 'margins', from, to, tree })))
    phaseMs.update += performance.now() - mark
    mark = performance.now()
    const validationPrAuc = validationRows.length ? prAuc(validationScores, labels, validationRows) : NaN
    // Without early stopping every round is kept, as XGBoost keeps them; with it, the best round.
    if (o.earlyStoppingRounds === 0 || validationPrAuc > best.prAuc || Number.isNaN(validationPrAuc)) {
      best = { round, prAuc: validationPrAuc }
      for (const r of validationRows) bestScores[r] = validationScores[r]
    }
    const report: RoundReport = { round, trainLogLoss: logLoss(margins, labels, lossRows), validationPrAuc, bestRound: best.round, elapsedMs: performance.now() - started }
    phaseMs.evaluate += performance.now() - mark
    history.push(report)
    onRound?.(report)
    if (o.earlyStoppingRounds > 0 && round - best.round >= o.earlyStoppingRounds) break
    // Between rounds, let messages in (a stop request, progress going out).
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (stopRequested?.()) break
  }
  trees.length = best.round
  return {
    model: new TreeEnsemble(matrix.featureNames, baseMargin, trees),
    history,
    bestRound: best.round,
    trainRows: trainRows.length,
    validationRows: validationRows.length,
    validationScores: bestScores,
    elapsedMs: performance.now() - started,
    params: o,
    phaseMs,
  }
}

/** The training state the threads share, on SharedArrayBuffers (the matrix's values are copied there unless already). */
export function sharedTrainingArraysFor(matrix: FeatureMatrix, trainRows = rowsWhere(matrix.validation, 0)): SharedTrainingArrays {
  const { rows, columns } = matrix
  const shareCopy = <T extends Float32Array | Uint8Array | Uint32Array>(array: T): T => {
    if (array.buffer instanceof SharedArrayBuffer) return array
    const copy = sharedArray(array.constructor as never, array.length) as T
    copy.set(array as never)
    return copy
  }
  return {
    values: shareCopy(matrix.values),
    trainRows: shareCopy(trainRows),
    cutValues: sharedArray(Float32Array, columns * MAX_BINS),
    cutCounts: sharedArray(Int32Array, columns),
    data: {
      bins: sharedArray(Uint8Array, rows * columns),
      binsByFeature: sharedArray(Uint8Array, rows * columns),
      rowCount: rows,
      columns,
      usedBins: sharedArray(Int32Array, columns),
      grad: sharedArray(Float64Array, rows),
      hess: sharedArray(Float64Array, rows),
    },
    sample: sharedArray(Uint32Array, trainRows.length),
    rightRows: sharedArray(Uint32Array, trainRows.length),
    inSample: sharedArray(Uint8Array, rows),
    margins: sharedArray(Float64Array, rows),
    validation: shareCopy(matrix.validation),
    validationScores: sharedArray(Float64Array, rows),
    labels: shareCopy(matrix.labels),
    weights: sharedArray(Float64Array, rows),
  }
}

function sharedArray<T>(Type: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new Type(new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT))
}

/** Bernoulli row sample into `into`, flagged in `flags`; returns its size. */
function drawSample(rows: Uint32Array, share: number, random: Random, into: Uint32Array, flags: Uint8Array): number {
  // A xorshift32 stream seeded from the trainer's generator: one call per row of a Random object
  // cost a fifth of a boosting round on a million rows.
  let state = (Math.floor(random.next() * 0xffffffff) | 1) >>> 0
  const cut = share * 4_294_967_296
  let n = 0
  for (let i = 0; i < rows.length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const r = rows[i]
    const taken = share >= 1 || state >>> 0 < cut
    flags[r] = taken ? 1 : 0
    if (taken) into[n++] = r
  }
  return n
}

function everyNth(rows: Uint32Array, step: number): Uint32Array {
  return rows.filter((_, i) => i % step === 0)
}


function pickFeatures(columns: number, share: number, random: Random): Int32Array {
  const all = Int32Array.from({ length: columns }, (_, i) => i)
  if (share >= 1) return all
  for (let i = columns - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1))
    ;[all[i], all[j]] = [all[j], all[i]]
  }
  return all.slice(0, Math.max(1, Math.round(columns * share))).sort()
}

/** Nodes below this many rows are summed by one thread: handing out the work would cost more. */
const PARALLEL_HISTOGRAM_FROM_ROWS = 4_096
/** Splits below this many rows are done by one thread. */
const PARALLEL_SPLIT_FROM_ROWS = 32_768

/**
 * Grows one tree best-first over a partition of the round's sample (node = a range of it).
 * Histograms are shared out by feature and splits by row range, so the tree is the same for any
 * number of threads.
 */
class TreeGrower {
  private readonly histogramSize: number
  private readonly histograms: Float64Array[] = []
  private readonly freeSlots: number[] = []
  private readonly sample: Uint32Array
  private readonly rightRows: Uint32Array
  private readonly data: BinnedRows

  constructor(
    shared: SharedTrainingArrays,
    private readonly threads: TrainingThreads,
    private readonly cuts: BinCuts,
    private readonly o: TrainOptions,
  ) {
    this.data = shared.data
    this.sample = shared.sample
    this.rightRows = shared.rightRows
    this.histogramSize = shared.data.columns * FEATURE_STRIDE
  }

  grow(sampleSize: number, features: Int32Array): { tree: Tree; leafRanges: Array<{ start: number; end: number; value: number }> } {
    const ranges: Array<{ id: number; start: number; end: number }> = []
    const nodes: NodeRecord[] = []
    const newNode = (g: number, h: number) => {
      nodes.push({ feature: -1, threshold: 0, bin: 0, missingLeft: false, left: -1, right: -1, g, h })
      return nodes.length - 1
    }
    const { grad, hess, usedBins } = this.data
    const rows = this.sample
    let g = 0
    let h = 0
    for (let i = 0; i < sampleSize; i++) {
      const r = rows[i]
      g += grad[r]
      h += hess[r]
    }
    const root: GrowingNode = { id: newNode(g, h), start: 0, end: sampleSize, depth: 0, g, h, slot: this.takeSlot() }
    this.sumHistogram(root.slot, root.start, root.end, features)
    this.findSplit(root, features)
    const open: GrowingNode[] = root.split ? [root] : []
    if (!root.split) {
      this.freeSlots.push(root.slot)
      ranges.push(root)
    }
    let leaves = 1
    while (leaves < this.o.maxLeaves && open.length > 0) {
      let bestIndex = 0
      for (let i = 1; i < open.length; i++) if (open[i].split!.gain > open[bestIndex].split!.gain) bestIndex = i
      const node = open.splice(bestIndex, 1)[0]
      const split = node.split!
      const middle = this.partition(node.start, node.end, split)
      const left: GrowingNode = { id: newNode(split.leftG, split.leftH), start: node.start, end: middle, depth: node.depth + 1, g: split.leftG, h: split.leftH, slot: node.slot }
      const right: GrowingNode = { id: newNode(node.g - split.leftG, node.h - split.leftH), start: middle, end: node.end, depth: node.depth + 1, g: node.g - split.leftG, h: node.h - split.leftH, slot: node.slot }
      // Sum the smaller child's rows; the larger child's histogram is the parent's minus it.
      const [small, large] = middle - node.start <= node.end - middle ? [left, right] : [right, left]
      small.slot = this.takeSlot()
      this.sumHistogram(small.slot, small.start, small.end, features)
      const smallHistogram = this.histograms[small.slot]
      const largeHistogram = this.histograms[large.slot]
      for (const f of features) {
        for (let i = f * FEATURE_STRIDE, end = i + usedBins[f] * 2; i < end; i++) largeHistogram[i] -= smallHistogram[i]
      }
      const record = nodes[node.id]
      record.feature = split.feature
      record.bin = split.bin
      record.threshold = this.cuts.cuts[split.feature][split.bin - 1]
      record.missingLeft = split.missingLeft
      record.left = left.id
      record.right = right.id
      leaves++
      for (const child of [left, right]) {
        if (child.depth < this.o.maxDepth) this.findSplit(child, features)
        if (child.split) open.push(child)
        else {
          this.freeSlots.push(child.slot)
          ranges.push(child)
        }
      }
    }
    for (const node of open) {
      this.freeSlots.push(node.slot)
      ranges.push(node)
    }
    const { lambda, learningRate } = this.o
    const tree: Tree = {
      feature: Int32Array.from(nodes, (x) => x.feature),
      threshold: Float32Array.from(nodes, (x) => x.threshold),
      splitBin: Uint8Array.from(nodes, (x) => x.bin),
      missingLeft: Uint8Array.from(nodes, (x) => (x.missingLeft ? 1 : 0)),
      left: Int32Array.from(nodes, (x) => x.left),
      right: Int32Array.from(nodes, (x) => x.right),
      // Leaf value −G/(H+λ)·η; inner nodes carry 0.
      value: Float32Array.from(nodes, (x) => (x.feature < 0 ? (-x.g / (x.h + lambda)) * learningRate : 0)),
    }
    const leafRanges = ranges.map(({ id, start, end }) => ({ start, end, value: tree.value[id] }))
    return { tree, leafRanges }
  }

  /** A free histogram, by slot; a new one is shared with every thread. */
  private takeSlot(): number {
    const free = this.freeSlots.pop()
    if (free !== undefined) return free
    const slot = this.histograms.length
    this.histograms.push(sharedArray(Float64Array, this.histogramSize))
    this.threads.addHistogram(slot, this.histograms[slot])
    return slot
  }

  private sumHistogram(slot: number, start: number, end: number, features: Int32Array): void {
    // By feature (each thread its features over all the node's rows): every sum is then the same
    // as one thread's. Shared out by rows instead, in blocks with their own histograms added up
    // in order, a round took as long on this 2-core machine.
    const parts = end - start >= PARALLEL_HISTOGRAM_FROM_ROWS ? Math.min(this.threads.count, features.length) : 1
    this.threads.run(shares(0, features.length, parts).map(([from, to]) => ({ kind: 'histogram', slot, start, end, features: features.subarray(from, to) })))
  }

  private findSplit(node: GrowingNode, features: Int32Array): void {
    const { lambda, gamma, minChildWeight } = this.o
    const histogram = this.histograms[node.slot]
    const parentScore = (node.g * node.g) / (node.h + lambda)
    let best: SplitCandidate | undefined
    for (const f of features) {
      const binCount = this.cuts.cuts[f].length + 1
      if (binCount < 2) continue
      const base = f * FEATURE_STRIDE
      const missingG = histogram[base]
      const missingH = histogram[base + 1]
      let leftG = 0
      let leftH = 0
      const variants = missingH > 0 ? 2 : 1
      for (let bin = 1; bin < binCount; bin++) {
        const binH = histogram[base + bin * 2 + 1]
        // An empty bin moves nothing: the split after it equals the split before it.
        if (binH === 0) continue
        leftG += histogram[base + bin * 2]
        leftH += binH
        for (let missingLeft = 0; missingLeft < variants; missingLeft++) {
          const lg = missingLeft ? leftG + missingG : leftG
          const lh = missingLeft ? leftH + missingH : leftH
          const rg = node.g - lg
          const rh = node.h - lh
          if (lh < minChildWeight || rh < minChildWeight) continue
          const gain = 0.5 * ((lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parentScore) - gamma
          if (gain > 1e-12 && (!best || gain > best.gain)) best = { gain, feature: f, bin, missingLeft: missingLeft === 1, leftG: lg, leftH: lh }
        }
      }
    }
    node.split = best
  }

  /**
   * Moves the node's rows that go left to the front of [start, end), each side in ascending row
   * order; returns where the right ones begin. Each thread splits a share of the range, then the
   * shares' left rows are closed up and their right rows copied after them, in share order.
   */
  private partition(start: number, end: number, split: SplitCandidate): number {
    const parts = end - start >= PARALLEL_SPLIT_FROM_ROWS ? this.threads.count : 1
    const pieces = shares(start, end, parts)
    const lefts = this.threads.run(pieces.map(([from, to]) => ({ kind: 'split', start: from, end: to, feature: split.feature, bin: split.bin, missingLeft: split.missingLeft })))
    const rows = this.sample
    let at = start + lefts[0]
    for (let p = 1; p < parts; p++) {
      rows.copyWithin(at, pieces[p][0], pieces[p][0] + lefts[p])
      at += lefts[p]
    }
    const middle = at
    for (let p = 0; p < parts; p++) {
      const [from, to] = pieces[p]
      rows.set(this.rightRows.subarray(from, from + (to - from - lefts[p])), at)
      at += to - from - lefts[p]
    }
    return middle
  }
}
