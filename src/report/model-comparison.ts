import type { Histogram } from 'hdr-histogram-js'
import { summarize } from '../metrics/latency.js'
import { prAuc } from '../metrics/score-ranking.js'
import { VERDICT_CODES } from '../schema/decision.js'
import { accuracyFrom } from '../metrics/accuracy.js'
import type { ArchetypeAccuracy, ModelOutcome, ModelsComparison } from './summary-schema.js'

/** Scores, labels and verdict codes of the decided transactions, k-th of each for the same one. */
export interface ScoredTransactions {
  scores: ArrayLike<number>
  labels: ArrayLike<number>
  archetypeCodes: ArrayLike<number>
}

/** PR-AUC of one archetype's transactions against the genuine ones (archetype code 0). */
export function archetypePrAuc(scored: ScoredTransactions, code: number): number {
  const n = scored.scores.length
  const selected = (k: number) => scored.archetypeCodes[k] === code || (scored.archetypeCodes[k] === 0 && !scored.labels[k])
  let count = 0
  for (let k = 0; k < n; k++) if (selected(k)) count++
  // A typed array: a replay of millions of rows must not put millions of numbers on the CLI's small heap.
  const rows = new Uint32Array(count)
  for (let k = 0, r = 0; k < n; k++) if (selected(k)) rows[r++] = k
  return prAuc(scored.scores, scored.labels, rows)
}

export interface ArchetypeCount {
  code: number
  name: string
  decided: number
  blocked: number
}

/**
 * Per fraud archetype: its decided transactions, those blocked, recall, precision counting every
 * false positive against it (false positives belong to no archetype), and PR-AUC.
 */
export function archetypeAccuracy(archetypes: ArchetypeCount[], falsePositives: number, prAucOf: (code: number) => number): Record<string, ArchetypeAccuracy> {
  const result: Record<string, ArchetypeAccuracy> = {}
  for (const { code, name, decided, blocked } of archetypes) {
    if (name === 'normal') continue
    result[name] = {
      decided,
      blocked,
      recall: decided ? blocked / decided : NaN,
      precision: blocked + falsePositives ? blocked / (blocked + falsePositives) : NaN,
      prAuc: prAucOf(code),
    }
  }
  return result
}

/** How one model did on the decided transactions, by its own scores and verdicts. */
function outcomeOf(version: string, scored: ScoredTransactions, verdicts: ArrayLike<number>, archetypes: string[], modelLatency: Histogram): ModelOutcome {
  const n = scored.scores.length
  const decided = new Array<number>(archetypes.length).fill(0)
  const blocked = new Array<number>(archetypes.length).fill(0)
  const confusion = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 }
  for (let k = 0; k < n; k++) {
    const code = scored.archetypeCodes[k]
    const block = verdicts[k] === VERDICT_CODES.block
    decided[code]++
    if (block) blocked[code]++
    if (scored.labels[k]) block ? confusion.truePositives++ : confusion.falseNegatives++
    else block ? confusion.falsePositives++ : confusion.trueNegatives++
  }
  const { precision, recall, f1 } = accuracyFrom(confusion)
  const counts = archetypes.map((name, code) => ({ code, name, decided: decided[code], blocked: blocked[code] })).filter((count) => count.decided > 0)
  return {
    version,
    blocked: confusion.truePositives + confusion.falsePositives,
    precision,
    recall,
    f1,
    prAuc: prAuc(scored.scores, scored.labels),
    byArchetype: archetypeAccuracy(counts, confusion.falsePositives, (code) => archetypePrAuc(scored, code)),
    modelMs: summarize(modelLatency),
  }
}

/**
 * Champion against challenger on the same transactions: the champion's verdicts acted, the
 * shadow's were only recorded. Both are judged by their own scores and verdicts.
 */
export function compareModels(
  scored: ScoredTransactions & { verdicts: ArrayLike<number>; shadow: { scores: ArrayLike<number>; verdicts: ArrayLike<number> } },
  archetypes: string[],
  champion: { version: string; modelLatency: Histogram },
  shadow: { version: string; modelLatency: Histogram },
): ModelsComparison {
  let same = 0
  let championOnlyBlocks = 0
  let shadowOnlyBlocks = 0
  const n = scored.scores.length
  for (let k = 0; k < n; k++) {
    const championBlocks = scored.verdicts[k] === VERDICT_CODES.block
    const shadowBlocks = scored.shadow.verdicts[k] === VERDICT_CODES.block
    if (scored.verdicts[k] === scored.shadow.verdicts[k]) same++
    if (championBlocks && !shadowBlocks) championOnlyBlocks++
    if (shadowBlocks && !championBlocks) shadowOnlyBlocks++
  }
  return {
    champion: outcomeOf(champion.version, scored, scored.verdicts, archetypes, champion.modelLatency),
    shadow: outcomeOf(shadow.version, { ...scored, scores: scored.shadow.scores }, scored.shadow.verdicts, archetypes, shadow.modelLatency),
    agreement: { sameVerdict: n ? same / n : NaN, championOnlyBlocks, shadowOnlyBlocks },
  }
}
