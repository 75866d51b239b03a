import type { Histogram } from 'hdr-histogram-js'
import { summarize } from '../metrics/latency.js'
import { prAuc } from '../metrics/score-ranking.js'
import { VERDICT_CODES } from '../schema/decision.js'
import type { ModelOutcome, ModelsComparison } from './summary-schema.js'

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

/** How one model did on the decided transactions, by its own scores and verdicts. */
function outcomeOf(version: string, scored: ScoredTransactions, verdicts: ArrayLike<number>, archetypes: string[], modelLatency: Histogram): ModelOutcome {
  const n = scored.scores.length
  const decided = new Array<number>(archetypes.length).fill(0)
  const blocked = new Array<number>(archetypes.length).fill(0)
  let truePositives = 0
  let falsePositives = 0
  let frauds = 0
  for (let k = 0; k < n; k++) {
    const code = scored.archetypeCodes[k]
    const block = verdicts[k] === VERDICT_CODES.block
    decided[code]++
    if (block) blocked[code]++
    if (scored.labels[k]) {
      frauds++
      if (block) truePositives++
    } else if (block) falsePositives++
  }
  const precision = truePositives + falsePositives ? truePositives / (truePositives + falsePositives) : NaN
  const recall = frauds ? truePositives / frauds : NaN
  const byArchetype: ModelOutcome['byArchetype'] = {}
  archetypes.forEach((name, code) => {
    if (code === 0 || decided[code] === 0) return
    byArchetype[name] = {
      decided: decided[code],
      blocked: blocked[code],
      recall: blocked[code] / decided[code],
      precision: blocked[code] + falsePositives ? blocked[code] / (blocked[code] + falsePositives) : NaN,
      prAuc: archetypePrAuc(scored, code),
    }
  })
  return {
    version,
    blocked: truePositives + falsePositives,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN,
    prAuc: prAuc(scored.scores, scored.labels),
    byArchetype,
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
