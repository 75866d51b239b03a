import type { ModelCard } from './model-card.js'

const pct = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`)

/** What `fraudlab train` prints when it is done: the files, the threshold and the validation figures. */
export function formatTrainingSummary(card: ModelCard, modelPath: string, cardPath: string, roundsRun: number): string {
  const v = card.validation
  const t = card.training
  const lines = [
    `Model ${card.version}: ${t?.rounds ?? '?'} trees (best of ${roundsRun} rounds) in ${t?.seconds ?? '?'}s, ${t?.trainRows.toLocaleString('en-US')} training rows, ${t?.validationRows.toLocaleString('en-US')} validation rows.`,
    `Block at p ≥ ${card.thresholds.block.toPrecision(4)} (${card.thresholds.chosenBy}); review at p ≥ ${card.thresholds.review.toPrecision(4)}.`,
  ]
  if (v) {
    lines.push(`Validation (${t?.heldOut ?? 'latest share of each file'}): PR-AUC ${v.overall.prAuc?.toFixed(4) ?? '—'}, precision ${pct(v.overall.precision)}, recall ${pct(v.overall.recall)}.`)
    for (const [source, m] of Object.entries(v.perSource ?? {})) lines.push(`  ${source.padEnd(30)} PR-AUC ${m.prAuc?.toFixed(4) ?? '—'}  precision ${pct(m.precision)}  recall ${pct(m.recall)}`)
    lines.push('  at the block threshold:   frauds  recall  precision¹ | recall at precision ≥ 90%²')
    for (const [name, m] of Object.entries(v.perArchetype)) {
      lines.push(`  ${name.padEnd(24)} ${String(m.frauds).padStart(7)}  ${pct(m.recall).padStart(6)}  ${pct(m.precision).padStart(10)} | ${pct(m.recallAtPrecision90).padStart(6)}`)
    }
    lines.push('  ¹ this archetype’s catches over themselves plus every false positive  ² this archetype against genuine rows, at its own threshold')
  }
  lines.push(`Wrote ${modelPath} and ${cardPath}.`)
  return lines.join('\n')
}
