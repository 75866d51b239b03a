import type { ModelAgainstRules } from '../model/model-vs-rules.js'
import type { ArchetypeDifficulty, DifficultyAudit } from '../model/single-feature-audit.js'

const percent = (share: number) => `${(share * 100).toFixed(1)}%`

function ruleText(row: ArchetypeDifficulty): string {
  const best = row.best
  if (!best) return '—'
  const threshold = Number.isFinite(best.threshold) ? Number(best.threshold.toPrecision(4)) : best.threshold
  return `${best.feature} ${best.op} ${threshold}`
}

/** The audit as a table: one line per archetype, hardest last, with the rule that catches it best. */
export function renderDifficultyAudit(audit: DifficultyAudit, scenario: string, limit?: number): string[] {
  const rows = [...audit.archetypes, audit.overall]
  const width = Math.max(12, ...rows.map((row) => row.archetype.length))
  const ruleWidth = Math.max(30, ...rows.map((row) => ruleText(row).length))
  const lines = [
    `${scenario}: ${audit.rows.toLocaleString('en-US')} transactions, ${audit.genuine.toLocaleString('en-US')} genuine; best single-feature rule per archetype at ≤ ${percent(audit.maxFalsePositiveRate)} false positives`,
    '',
    `${'archetype'.padEnd(width)}  ${'frauds'.padStart(7)}  ${'recall'.padStart(6)}  ${'FPR'.padStart(6)}  ${'rule'.padEnd(ruleWidth)}  no history`,
  ]
  for (const row of rows) {
    const recall = row.best?.recall ?? 0
    const flag = limit !== undefined && recall > limit ? `  > ${limit}` : ''
    lines.push(
      `${row.archetype.padEnd(width)}  ${String(row.frauds).padStart(7)}  ${recall.toFixed(3).padStart(6)}  ${percent(row.best?.falsePositiveRate ?? 0).padStart(6)}  ${ruleText(row).padEnd(ruleWidth)}  ${percent(row.noHistoryShare).padStart(10)}${flag}`,
    )
  }
  return lines
}

const three = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : '—')

/** The model beside each archetype's best single rule, at that rule's false-positive rate. */
export function renderModelAgainstRules(comparison: ModelAgainstRules): string[] {
  const rows = [...comparison.archetypes, comparison.overall]
  const width = Math.max(12, ...rows.map((row) => row.archetype.length))
  const lines = [
    `model ${comparison.model} against the best single rule, at the rule's false-positive rate`,
    '',
    `${'archetype'.padEnd(width)}  ${'FPR'.padStart(6)}  ${'rule recall'.padStart(11)}  ${'model recall'.padStart(12)}  ${'gain'.padStart(6)}  ${'PR-AUC'.padStart(6)}`,
  ]
  for (const row of rows) {
    lines.push(
      `${row.archetype.padEnd(width)}  ${percent(row.ruleFalsePositiveRate).padStart(6)}  ${three(row.ruleRecall).padStart(11)}  ${three(row.recallAtRuleFpr).padStart(12)}  ${(row.recallAtRuleFpr - row.ruleRecall >= 0 ? '+' : '') + three(row.recallAtRuleFpr - row.ruleRecall)}  ${three(row.prAuc).padStart(6)}`,
    )
  }
  lines.push('', `overall precision at recall ≥ 0.9: ${three(comparison.overall.precisionAtRecall90)}`)
  return lines
}
