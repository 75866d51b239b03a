export interface ConfusionMatrix {
  truePositives: number
  falsePositives: number
  trueNegatives: number
  falseNegatives: number
}

export interface Accuracy extends ConfusionMatrix {
  precision: number
  recall: number
  f1: number
  falsePositiveRate: number
}

/** Precision, recall and F1 from a confusion matrix; NaN where a ratio has no denominator. */
export function accuracyFrom(matrix: ConfusionMatrix): Accuracy {
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn } = matrix
  const precision = tp + fp ? tp / (tp + fp) : NaN
  const recall = tp + fn ? tp / (tp + fn) : NaN
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN
  return { ...matrix, precision, recall, f1, falsePositiveRate: fp + tn ? fp / (fp + tn) : NaN }
}
