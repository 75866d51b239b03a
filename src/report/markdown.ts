import { formatLatency, formatRatio, readersOf, runVerdict, stageName } from './format.js'
import type { RunSummary } from './run-summary.js'

const ms = (value: number | null) => formatLatency(value, ' ')
const ratio = formatRatio

/** Which stream was read by enhanced fan-out, when one was (polling is the default and goes unsaid). */
function readLine(summary: RunSummary): string[] {
  const readers = readersOf(summary.config)
  const parts = [readers.scorer && `the scorer read the transactions by ${readers.scorer}`, readers.collector && `fraudlab read the decisions by ${readers.collector}`].filter(Boolean)
  return parts.length ? [`${parts.join('; ')}.`.replace(/^./, (first) => first.toUpperCase()), ''] : []
}

/** A short Markdown summary for a pull-request comment. */
export function renderMarkdown(summary: RunSummary): string {
  const c = summary.counts
  const a = summary.accuracy
  const d = summary.latencyMs.decision
  const e = summary.latencyMs.endToEnd
  const outcome = runVerdict(summary)
  // A stopped or over-capacity run reconciled, but measured less than it was asked to: not a plain pass.
  const verdict = `${!outcome.ok ? '❌' : summary.status === 'completed' ? '✅' : '⚠️'} ${outcome.text}`
  const lines = [
    `### fraudlab ${summary.command} \`${summary.runId}\`: ${verdict}`,
    '',
    `| sent | decided | lost | dropped | blocked | offered/s | achieved/s |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    `| ${c.sent} | ${c.decided} | ${c.lost} | ${c.dropped} | ${c.blocked} | ${summary.throughput.offeredTps} | ${summary.throughput.achievedTps} |`,
    '',
    ...readLine(summary),
    `| latency | p50 | p90 | p99 | max |`,
    `| --- | ---: | ---: | ---: | ---: |`,
    `| **decision** | ${ms(d.p50)} | ${ms(d.p90)} | ${ms(d.p99)} | ${ms(d.max)} |`,
    `| end to end (observed) | ${ms(e.p50)} | ${ms(e.p90)} | ${ms(e.p99)} | ${ms(e.max)} |`,
    ...Object.entries(summary.latencyMs.stages).map(([name, l]) => `| ${stageName(name, name, summary.config)} | ${ms(l.p50)} | ${ms(l.p90)} | ${ms(l.p99)} | ${ms(l.max)} |`),
    '',
    `Precision ${ratio(a.precision)}, recall ${ratio(a.recall)}, F1 ${ratio(a.f1)}, FPR ${ratio(a.falsePositiveRate)} (TP ${a.truePositives}, FP ${a.falsePositives}, FN ${a.falseNegatives}).`,
  ]
  const archetypes = Object.entries(summary.accuracyByArchetype)
  if (archetypes.length) {
    lines.push('', '| archetype | decided | blocked | recall |', '| --- | ---: | ---: | ---: |')
    for (const [name, x] of archetypes) lines.push(`| ${name} | ${x.decided} | ${x.blocked} | ${ratio(x.recall)} |`)
  }
  if (summary.thresholds.length) {
    lines.push('', '| threshold | actual | |', '| --- | ---: | --- |')
    for (const t of summary.thresholds) lines.push(`| \`${t.expression}\` | ${t.actual === null ? '—' : t.actual} | ${t.ok ? '✅' : '❌'} |`)
  }
  return lines.join('\n') + '\n'
}
