import { Random } from '../util/random.js'
import { binMatrix, computeCuts, MAX_BINS, type BinCuts } from './binning.js'
import { rowsWhere, type FeatureMatrix } from './feature-matrix.js'
import { logLoss, prAuc } from '../metrics/score-ranking.js'
import { leafValueBinned, TreeEnsemble, type Tree } from './tree-ensemble.js'
import { FEATURE_STRIDE, SCRATCH_FEATURE_STRIDE, sumGradients, type BinnedRows } from './histogram-kernel.js'

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
  histogram: Float64Array
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
  const columns = matrix.columns
  const trainRows = rowsWhere(matrix.validation, 0)
  const validationRows = rowsWhere(matrix.validation, 1)
  const cuts = computeCuts(matrix.values, columns, trainRows, o.maxBins)
  const bins = binMatrix(matrix.values, columns, matrix.rows, cuts)
  const labels = matrix.labels
  const weights = new Float64Array(matrix.rows)
  let weightSum = 0
  let positiveWeightSum = 0
  for (const r of trainRows) {
    weights[r] = labels[r] ? o.positiveWeight : 1
    weightSum += weights[r]
    if (labels[r]) positiveWeightSum += weights[r]
  }
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positiveWeightSum / weightSum))
  const baseMargin = Math.fround(Math.log(rate / (1 - rate)))
  const margins = new Float64Array(matrix.rows).fill(baseMargin)
  const grad = new Float64Array(matrix.rows)
  const hess = new Float64Array(matrix.rows)
  const random = new Random(o.seed)
  const usedBins = Int32Array.from(cuts.cuts, (c) => Math.min(MAX_BINS, c.length + 2))
  const grower = new TreeGrower({ bins, columns, usedBins, grad, hess }, cuts, o)
  const sample = new Uint32Array(trainRows.length)
  const inSample = new Uint8Array(matrix.rows)
  const lossRows = everyNth(trainRows, Math.max(1, Math.floor(trainRows.length / 50_000)))
  const trees: Tree[] = []
  const history: RoundReport[] = []
  let best = { round: 0, prAuc: -Infinity }
  const validationScores = new Float64Array(matrix.rows).fill(NaN)
  const bestScores = new Float64Array(matrix.rows).fill(NaN)

  const phaseMs = { setup: performance.now() - started, gradients: 0, grow: 0, update: 0, evaluate: 0 }
  for (let round = 1; round <= o.rounds; round++) {
    let mark = performance.now()
    const sampleSize = drawSample(trainRows, o.subsample, random, sample, inSample)
    const rows = sample.subarray(0, sampleSize)
    // Only this tree's rows need gradients: the others do not shape it.
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]
      const p = 1 / (1 + Math.exp(-margins[r]))
      grad[r] = (p - labels[r]) * weights[r]
      hess[r] = Math.max(p * (1 - p), 1e-16) * weights[r]
    }
    const features = pickFeatures(columns, o.colsample, random)
    phaseMs.gradients += performance.now() - mark
    mark = performance.now()
    const { tree, leafRanges } = grower.grow(rows, features)
    phaseMs.grow += performance.now() - mark
    mark = performance.now()
    trees.push(tree)
    // The sampled rows sit in their leaves' ranges of the partition; only the others walk the tree.
    for (const { start, end, value } of leafRanges) for (let i = start; i < end; i++) margins[rows[i]] += value
    for (let r = 0; r < matrix.rows; r++) if (!inSample[r]) margins[r] += leafValueBinned(tree, bins, r * columns)
    for (const r of validationRows) validationScores[r] = 1 / (1 + Math.exp(-margins[r]))
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

/** Grows one tree best-first over a partition of row indices. */
class TreeGrower {
  private readonly histogramSize: number
  private readonly pool: Float64Array[] = []
  private scratch = new Uint32Array(0)
  private readonly histogramScratch: Float64Array

  constructor(
    private readonly data: BinnedRows,
    private readonly cuts: BinCuts,
    private readonly o: TrainOptions,
  ) {
    this.histogramSize = data.columns * FEATURE_STRIDE
    this.histogramScratch = new Float64Array(data.columns * SCRATCH_FEATURE_STRIDE)
  }

  grow(rows: Uint32Array, features: Int32Array): { tree: Tree; leafRanges: Array<{ start: number; end: number; value: number }> } {
    const ranges: Array<{ id: number; start: number; end: number }> = []
    const nodes: NodeRecord[] = []
    const newNode = (g: number, h: number) => {
      nodes.push({ feature: -1, threshold: 0, bin: 0, missingLeft: false, left: -1, right: -1, g, h })
      return nodes.length - 1
    }
    let g = 0
    let h = 0
    const { grad, hess, usedBins } = this.data
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]
      g += grad[r]
      h += hess[r]
    }
    const root: GrowingNode = { id: newNode(g, h), start: 0, end: rows.length, depth: 0, g, h, histogram: this.histogram() }
    sumGradients(this.data, root.histogram, this.histogramScratch, rows, root.start, root.end, features)
    this.findSplit(root, features)
    const open: GrowingNode[] = root.split ? [root] : []
    if (!root.split) {
      this.release(root.histogram)
      ranges.push(root)
    }
    let leaves = 1
    while (leaves < this.o.maxLeaves && open.length > 0) {
      let bestIndex = 0
      for (let i = 1; i < open.length; i++) if (open[i].split!.gain > open[bestIndex].split!.gain) bestIndex = i
      const node = open.splice(bestIndex, 1)[0]
      const split = node.split!
      const middle = this.partition(rows, node.start, node.end, split)
      const left: GrowingNode = { id: newNode(split.leftG, split.leftH), start: node.start, end: middle, depth: node.depth + 1, g: split.leftG, h: split.leftH, histogram: node.histogram }
      const right: GrowingNode = { id: newNode(node.g - split.leftG, node.h - split.leftH), start: middle, end: node.end, depth: node.depth + 1, g: node.g - split.leftG, h: node.h - split.leftH, histogram: node.histogram }
      // Sum the smaller child's rows; the larger child's histogram is the parent's minus it.
      const [small, large] = middle - node.start <= node.end - middle ? [left, right] : [right, left]
      small.histogram = this.histogram()
      sumGradients(this.data, small.histogram, this.histogramScratch, rows, small.start, small.end, features)
      for (const f of features) {
        for (let i = f * FEATURE_STRIDE, end = i + usedBins[f] * 2; i < end; i++) large.histogram[i] -= small.histogram[i]
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
          this.release(child.histogram)
          ranges.push(child)
        }
      }
    }
    for (const node of open) {
      this.release(node.histogram)
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

  private histogram(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.histogramSize)
  }

  private release(histogram: Float64Array): void {
    this.pool.push(histogram)
  }

  private findSplit(node: GrowingNode, features: Int32Array): void {
    const { lambda, gamma, minChildWeight } = this.o
    const histogram = node.histogram
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
   * Moves the rows that go left to the front of [start, end), keeping each side in ascending row
   * order (so later passes read the bin matrix front to back, which the cache rewards); returns
   * where the right ones begin.
   */
  private partition(rows: Uint32Array, start: number, end: number, split: SplitCandidate): number {
    const { bins, columns } = this.data
    const feature = split.feature
    const splitBin = split.bin
    const missingLeft = split.missingLeft
    const right = this.scratch.length >= end - start ? this.scratch : (this.scratch = new Uint32Array(rows.length))
    let left = start
    let rightCount = 0
    for (let i = start; i < end; i++) {
      const r = rows[i]
      const bin = bins[r * columns + feature]
      if (bin === 0 ? missingLeft : bin <= splitBin) rows[left++] = r
      else right[rightCount++] = r
    }
    rows.set(right.subarray(0, rightCount), left)
    return left
  }
}
