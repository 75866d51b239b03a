import { prAuc } from '../metrics/score-ranking.js'
import type { FeatureMatrix } from './feature-matrix.js'
import type { DifficultyAudit } from './single-feature-audit.js'

export interface ModelAgainstRule {
  archetype: string
  /** This archetype's frauds ranked against every genuine row. */
  prAuc: number
  /** The model's recall when it may flag as many genuine rows as the best single rule did. */
  recallAtRuleFpr: number
  ruleRecall: number
  ruleFalsePositiveRate: number
}

export interface ModelAgainstRules {
  model: string
  overall: ModelAgainstRule & {
    /** The best precision with recall of at least 0.9 (NaN if no threshold reaches it). */
    precisionAtRecall90: number
  }
  archetypes: ModelAgainstRule[]
}

/**
 * A model's scores on an audited matrix, set beside each archetype's best single-feature rule: how
 * much the model adds over one threshold, at the same false-positive rate.
 */
export function compareModelWithRules(matrix: FeatureMatrix, audit: DifficultyAudit, scores: ArrayLike<number>, model: string): ModelAgainstRules {
  const genuineRows: number[] = []
  const fraudRows = new Map<string, number[]>()
  const all: number[] = []
  for (let r = 0; r < matrix.rows; r++) {
    if (!matrix.labels[r]) {
      genuineRows.push(r)
      continue
    }
    all.push(r)
    const archetype = matrix.archetypes[matrix.archetypeIds[r]]
    let rows = fraudRows.get(archetype)
    if (!rows) fraudRows.set(archetype, (rows = []))
    rows.push(r)
  }
  const genuineScores = Float64Array.from(genuineRows, (r) => scores[r]).sort().reverse()
  const against = (archetype: string, frauds: number[], rule: DifficultyAudit['overall']): ModelAgainstRule => {
    const fpr = rule.best?.falsePositiveRate ?? audit.maxFalsePositiveRate
    const allowed = Math.floor(fpr * genuineScores.length)
    // Flag strictly above the (allowed + 1)-th highest genuine score: at most `allowed` genuine rows.
    const threshold = allowed < genuineScores.length ? genuineScores[allowed] : -Infinity
    let caught = 0
    for (const r of frauds) if (scores[r] > threshold) caught++
    return {
      archetype,
      prAuc: prAuc(scores, matrix.labels, [...frauds, ...genuineRows]),
      recallAtRuleFpr: frauds.length ? caught / frauds.length : NaN,
      ruleRecall: rule.best?.recall ?? 0,
      ruleFalsePositiveRate: fpr,
    }
  }
  const archetypes = audit.archetypes.map((row) => against(row.archetype, fraudRows.get(row.archetype) ?? [], row))
  return { model, overall: { ...against(audit.overall.archetype, all, audit.overall), precisionAtRecall90: precisionAtRecall(scores, all, genuineScores, 0.9) }, archetypes }
}

function precisionAtRecall(scores: ArrayLike<number>, frauds: number[], genuineDescending: Float64Array, recall: number): number {
  if (frauds.length === 0) return NaN
  const fraudDescending = Float64Array.from(frauds, (r) => scores[r]).sort().reverse()
  const needed = Math.ceil(recall * frauds.length)
  const threshold = fraudDescending[needed - 1]
  let caught = needed
  while (caught < fraudDescending.length && fraudDescending[caught] >= threshold) caught++
  let falsePositives = 0
  while (falsePositives < genuineDescending.length && genuineDescending[falsePositives] >= threshold) falsePositives++
  return caught / (caught + falsePositives)
}
