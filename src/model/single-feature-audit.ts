import { FeatureEngine } from '../features/feature-engine.js'
import { F, FEATURE_COUNT, FEATURE_NAMES } from '../features/feature-names.js'
import type { LabelledTransaction } from '../schema/labels.js'
import { FeatureMatrixBuilder, type FeatureMatrix } from './feature-matrix.js'

/** A rule on one feature: `feature op threshold` flags a transaction (a missing value never does). */
export interface SingleFeatureRule {
  feature: string
  op: '>' | '<'
  threshold: number
  recall: number
  /** Share of all genuine rows the rule flags. */
  falsePositiveRate: number
}

export interface ArchetypeDifficulty {
  archetype: string
  frauds: number
  /** Share of its fraud rows whose account had no earlier transaction (as the feature engine saw it). */
  noHistoryShare: number
  /** The single-feature rule with the highest recall within the false-positive budget. */
  best?: SingleFeatureRule
}

export interface DifficultyAudit {
  rows: number
  genuine: number
  maxFalsePositiveRate: number
  /** Every fraud row together. */
  overall: ArchetypeDifficulty
  archetypes: ArchetypeDifficulty[]
}

const GENUINE = 'normal'

/**
 * Features for `count` transactions of a source, computed as the scorer and the trainer compute
 * them (one feature engine, in event-time order, from an empty state).
 */
export function featureMatrixOf(next: () => LabelledTransaction, count: number): FeatureMatrix {
  const engine = new FeatureEngine()
  const builder = new FeatureMatrixBuilder(FEATURE_NAMES, Math.max(1, count))
  const row = new Float64Array(FEATURE_COUNT)
  for (let i = 0; i < count; i++) {
    const { transaction, label } = next()
    engine.observe(transaction, row)
    builder.add(row, 0, label.isFraud ? 1 : 0, transaction.eventTime, label.isFraud ? label.archetype : GENUINE)
  }
  return builder.build([])
}

/**
 * How hard a scenario is: for each archetype, the best rule on a single feature (above or below a
 * threshold) whose false-positive rate over all genuine rows stays within `maxFalsePositiveRate`,
 * and its recall. If one threshold catches an archetype, every model looks good on it and the
 * report cannot tell a good model from a bad one.
 */
export function auditSingleFeatureRules(matrix: FeatureMatrix, maxFalsePositiveRate = 0.01): DifficultyAudit {
  const { rows, columns, values, labels, archetypeIds } = matrix
  const fraudRows: number[] = []
  let genuine = 0
  for (let r = 0; r < rows; r++) {
    if (labels[r]) fraudRows.push(r)
    else genuine++
  }
  const groups = new Map<number, number[]>()
  for (const r of fraudRows) {
    const id = archetypeIds[r]
    let group = groups.get(id)
    if (!group) groups.set(id, (group = []))
    group.push(r)
  }
  const audited = [{ archetype: 'all fraud', rows: fraudRows }, ...[...groups].map(([id, group]) => ({ archetype: matrix.archetypes[id], rows: group }))]
  const results: ArchetypeDifficulty[] = audited.map(({ archetype, rows: group }) => ({
    archetype,
    frauds: group.length,
    noHistoryShare: group.length ? group.filter((r) => values[r * columns + F.account_history_count] === 0).length / group.length : 0,
  }))
  const allowed = Math.floor(maxFalsePositiveRate * genuine)
  const genuineValues = new Float32Array(genuine)
  for (let c = 0; c < columns; c++) {
    let n = 0
    for (let r = 0; r < rows; r++) {
      const value = values[r * columns + c]
      if (!labels[r] && !Number.isNaN(value)) genuineValues[n++] = value
    }
    const sorted = genuineValues.subarray(0, n).sort()
    // The tightest thresholds that flag at most `allowed` genuine rows, above and below.
    const above = allowed >= n ? -Infinity : sorted[n - allowed - 1]
    const below = allowed >= n ? Infinity : sorted[allowed]
    const candidates: Array<{ op: '>' | '<'; threshold: number; fires: (v: number) => boolean; falsePositives: number }> = [
      { op: '>', threshold: above, fires: (v) => v > above, falsePositives: n - upperBound(sorted, above) },
      { op: '<', threshold: below, fires: (v) => v < below, falsePositives: lowerBound(sorted, below) },
    ]
    for (const candidate of candidates) {
      audited.forEach(({ rows: group }, i) => {
        if (group.length === 0) return
        let hits = 0
        for (const r of group) if (candidate.fires(values[r * columns + c])) hits++
        const recall = hits / group.length
        const best = results[i].best
        if (!best || recall > best.recall) {
          results[i].best = { feature: matrix.featureNames[c], op: candidate.op, threshold: candidate.threshold, recall, falsePositiveRate: genuine ? candidate.falsePositives / genuine : 0 }
        }
      })
    }
  }
  const [overall, ...archetypes] = results
  return { rows, genuine, maxFalsePositiveRate, overall, archetypes: archetypes.sort((a, b) => (b.best?.recall ?? 0) - (a.best?.recall ?? 0)) }
}

/** Index of the first value greater than `x` in an ascending array. */
function upperBound(sorted: Float32Array, x: number): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (sorted[mid] <= x) low = mid + 1
    else high = mid
  }
  return low
}

/** Index of the first value not less than `x` in an ascending array. */
function lowerBound(sorted: Float32Array, x: number): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (sorted[mid] < x) low = mid + 1
    else high = mid
  }
  return low
}
