/** Scores and 0/1 labels sorted by descending score, ties kept together. */
function sortedByScore(scores: ArrayLike<number>, labels: ArrayLike<number>, rows?: ArrayLike<number>): Uint32Array {
  const n = rows ? rows.length : scores.length
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = rows ? rows[i] : i
  order.sort((a, b) => scores[b] - scores[a])
  return order
}

/**
 * Area under the precision-recall curve as average precision (the step-wise sum scikit-learn and
 * XGBoost's `aucpr` family report): Σ (R_k − R_{k−1}) · P_k over distinct score thresholds.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>, rows?: ArrayLike<number>): number {
  const order = sortedByScore(scores, labels, rows)
  let positives = 0
  for (const r of order) positives += labels[r]
  if (positives === 0) return NaN
  let tp = 0
  let fp = 0
  let area = 0
  let previousRecall = 0
  for (let i = 0; i < order.length; i++) {
    const r = order[i]
    if (labels[r]) tp++
    else fp++
    const nextDiffers = i === order.length - 1 || scores[order[i + 1]] !== scores[r]
    if (!nextDiffers) continue
    const recall = tp / positives
    area += (recall - previousRecall) * (tp / (tp + fp))
    previousRecall = recall
  }
  return area
}

export interface OperatingPoint {
  threshold: number
  precision: number
  recall: number
  f1: number
}

/**
 * The decision threshold on `scores` that maximises F1, or, with `targetPrecision`, the one with
 * the highest recall whose precision reaches the target. The threshold lies halfway between two
 * neighbouring scores, so a score computed in float32 elsewhere lands on the same side.
 */
export function chooseThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, rows?: ArrayLike<number>, targetPrecision?: number): OperatingPoint {
  const order = sortedByScore(scores, labels, rows)
  let positives = 0
  for (const r of order) positives += labels[r]
  let best: OperatingPoint = { threshold: 1, precision: NaN, recall: 0, f1: 0 }
  let tp = 0
  let fp = 0
  for (let i = 0; i < order.length; i++) {
    const r = order[i]
    if (labels[r]) tp++
    else fp++
    const next = i === order.length - 1 ? -Infinity : scores[order[i + 1]]
    if (next === scores[r]) continue
    const precision = tp / (tp + fp)
    const recall = positives ? tp / positives : 0
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
    const threshold = next === -Infinity ? scores[r] / 2 : (scores[r] + next) / 2
    const better = targetPrecision === undefined ? f1 > best.f1 : precision >= targetPrecision && recall > best.recall
    if (better) best = { threshold, precision, recall, f1 }
  }
  return best
}

export interface Confusion {
  truePositives: number
  falsePositives: number
  falseNegatives: number
  trueNegatives: number
}

export function confusionAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number, rows?: ArrayLike<number>): Confusion {
  const c: Confusion = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 }
  const n = rows ? rows.length : scores.length
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i
    const flagged = scores[r] >= threshold
    if (labels[r]) flagged ? c.truePositives++ : c.falseNegatives++
    else flagged ? c.falsePositives++ : c.trueNegatives++
  }
  return c
}

export const precisionOf = (c: Confusion) => (c.truePositives + c.falsePositives ? c.truePositives / (c.truePositives + c.falsePositives) : NaN)
export const recallOf = (c: Confusion) => (c.truePositives + c.falseNegatives ? c.truePositives / (c.truePositives + c.falseNegatives) : NaN)

export function logLoss(margins: ArrayLike<number>, labels: ArrayLike<number>, rows: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]
    const m = margins[r]
    // log(1 + e^m) − y·m, computed without overflow.
    sum += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - labels[r] * m
  }
  return sum / rows.length
}
