import type { LeaseDiagnostics } from '../scorer/scorer-group.js'
import type { LatencySummary as LatencySummaryMs } from './summary-schema.js'
import { formatLatency, formatRatio, readersOf, stageName } from './format.js'
import type { RunSummary } from './run-summary.js'
import { formatDurationMs } from '../util/duration.js'

const ms = (value: number | null) => formatLatency(value)
const ratio = formatRatio

function latencyRow(name: string, l: LatencySummaryMs): string {
  return `  ${name.padEnd(14)} ${[l.p50, l.p90, l.p95, l.p99, l.max].map((v) => ms(v).padStart(10)).join('')}`
}

/** Whose scorer decided, how it read the stream and how fraudlab learnt its decisions, when not the default. */
function howDecided(summary: RunSummary): string {
  const { scorer, observe } = summary.config as { scorer?: string; observe?: string }
  const readers = readersOf(summary.config)
  return [
    scorer === 'external' && ' · external scorer',
    readers.scorer && ` · ${readers.scorer}`,
    readers.collector && ` · collector by ${readers.collector}`,
    observe === 'effects' && ' · effects only',
  ]
    .filter(Boolean)
    .join('')
}

/** The end-of-run summary printed in the terminal: a pure function of the summary. */
export function renderTerminalSummary(summary: RunSummary, reportPath?: string): string {
  const c = summary.counts
  const a = summary.accuracy
  const t = summary.throughput
  const lines = [
    `fraudlab ${summary.command} · run ${summary.runId}${howDecided(summary)} · ${summary.status}${summary.error ? `: ${summary.error}` : ''}`,
    '',
    `Reconciliation   ${summary.reconciliation.ok ? 'OK' : 'FAILED'}: sent ${c.sent}, decided ${c.decided}, lost ${c.lost}, duplicated ${c.duplicated} (removed)` +
      (c.failedToProduce ? `, failed to produce ${c.failedToProduce}` : ''),
    `Actions          blocked ${c.blocked}, BlockList items ${c.blockListItems ?? 'n/a'}, alerts received ${c.alertsReceived ?? 'n/a'}, reviewed ${c.reviewed}`,
    `Throughput       offered ${t.offeredTps}/s, achieved ${t.achievedTps}/s, decided ${t.decidedTps}/s; late ${c.late}, dropped ${c.dropped}` + aggregationNote(summary),
    `AWS errors       throttled ${c.throttled}, retried ${c.retried}, scorer restarts ${c.scorerRestarts}, invalid records ${c.invalidRecords}`,
    ...(summary.faults ? [faultsLine(summary.faults)] : []),
    ...leasesLine(summary),
    '',
    `Latency          ${['p50', 'p90', 'p95', 'p99', 'max'].map((p) => p.padStart(10)).join('')}`,
    latencyRow('decision', summary.latencyMs.decision),
    latencyRow('end to end', summary.latencyMs.endToEnd),
    // A k6 run measures the round trip only: stages without data are left out.
    ...Object.entries(summary.latencyMs.stages)
      .filter(([, l]) => l.count > 0)
      .map(([name, l]) => latencyRow(stageName(name, name, summary.config), l)),
    '',
    `Accuracy         precision ${ratio(a.precision)}, recall ${ratio(a.recall)}, F1 ${ratio(a.f1)}, FPR ${ratio(a.falsePositiveRate)}, PR-AUC ${ratio(a.prAuc)}`,
    `                 TP ${a.truePositives}  FP ${a.falsePositives}  TN ${a.trueNegatives}  FN ${a.falseNegatives}`,
    ...overTimeLine(summary),
  ]
  for (const [name, x] of Object.entries(summary.accuracyByArchetype)) {
    const attacks = summary.attacks.byArchetype[name]
    lines.push(
      `  ${name.padEnd(20)} recall ${ratio(x.recall)} (${x.blocked}/${x.decided})` +
        (attacks ? `, attacks detected ${attacks.detected}/${attacks.total}, time to detect p50 ${ms(attacks.timeToDetectMs.p50)} p99 ${ms(attacks.timeToDetectMs.p99)}` : ''),
    )
  }
  if (summary.models) lines.push(...modelsLines(summary.models))
  for (const t of summary.thresholds) {
    lines.push(`Threshold        ${t.ok ? '✓' : '✗'} ${t.expression}  (${t.actual === null ? 'no value' : `actual ${formatActual(t.actual)}`}${t.source === 'scenario' ? ', from the scenario' : ''})`)
  }
  if (summary.model) lines.push(`Model            ${summary.model.version}`)
  const source = summary.diagnostics.source as { rowsRead?: number; rowsFilteredOut?: number; badRowsSkipped?: number; badRowExamples?: string[]; fraud?: number; flaggedFraud?: number } | undefined
  if (source?.rowsRead !== undefined) {
    lines.push(
      `Source           rows read ${source.rowsRead}, filtered out ${source.rowsFilteredOut}, bad rows skipped ${source.badRowsSkipped}; ` +
        `in the replayed rows: isFraud ${source.fraud}, isFlaggedFraud ${source.flaggedFraud}`,
    )
    for (const example of source.badRowExamples ?? []) lines.push(`Skipped          ${example}`)
  }
  for (const note of summary.reconciliation.notes) lines.push(`Note             ${note}`)
  if (summary.reconciliation.missingCount) {
    lines.push(`Missing          ${summary.reconciliation.missingIds.slice(0, 10).join(', ')}${summary.reconciliation.missingCount > 10 ? ', …' : ''}`)
  }
  if (reportPath) lines.push('', `Report           ${reportPath}`)
  return lines.join('\n')
}

/** Champion against shadow: precision, recall and PR-AUC overall and per archetype, and each model's call time. */
function modelsLines(models: NonNullable<RunSummary['models']>): string[] {
  const { champion, shadow, agreement } = models
  const cell = (x: { precision: number | null; recall: number | null; prAuc: number | null } | undefined) =>
    x ? `P ${ratio(x.precision)}  R ${ratio(x.recall)}  PR-AUC ${ratio(x.prAuc)}` : '—'
  const archetypes = [...new Set([...Object.keys(champion.byArchetype), ...Object.keys(shadow.byArchetype)])].sort()
  const width = 36
  return [
    '',
    `Champion/shadow  same verdict ${ratio(agreement.sameVerdict)}; champion-only blocks ${agreement.championOnlyBlocks}, shadow-only ${agreement.shadowOnlyBlocks} (the shadow never acts)`,
    `  ${''.padEnd(20)} ${`champion ${champion.version}`.padEnd(width)} shadow ${shadow.version}`,
    `  ${'all fraud'.padEnd(20)} ${cell(champion).padEnd(width)} ${cell(shadow)}`,
    ...archetypes.map((name) => `  ${name.padEnd(20)} ${cell(champion.byArchetype[name]).padEnd(width)} ${cell(shadow.byArchetype[name])}`),
    `  ${'model call p50/p99'.padEnd(20)} ${`${ms(champion.modelMs.p50)} / ${ms(champion.modelMs.p99)}`.padEnd(width)} ${ms(shadow.modelMs.p50)} / ${ms(shadow.modelMs.p99)}`,
  ]
}

function formatActual(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4)
}

/** With --aggregate, how many transactions each Kinesis record carried. */
function aggregationNote(summary: RunSummary): string {
  const aggregation = (summary.diagnostics.producer as { aggregation?: { userRecords: number; kinesisRecords: number } } | undefined)?.aggregation
  if (!aggregation || aggregation.kinesisRecords === 0) return ''
  return `; aggregated, ${(aggregation.userRecords / aggregation.kinesisRecords).toFixed(1)} transactions per Kinesis record`
}

/**
 * With several scorers, or a scorer that died: how the shards were shared by lease at the end of
 * the drain, and how long a dead scorer's shards went unread (its death to each takeover).
 */
function leasesLine(summary: RunSummary): string[] {
  const leases = summary.diagnostics.leases as LeaseDiagnostics | undefined
  const scorers = Number(summary.config.scorers ?? 1)
  if (!leases || (scorers <= 1 && !leases.failover?.count)) return []
  const shares = Object.values(leases.owners).sort((a, b) => b - a).join('/')
  const failover = leases.failover?.count ? ` · failover p50 ${ms(leases.failover.p50Ms)} max ${ms(leases.failover.maxMs)} (${leases.failover.count} shards taken over)` : ''
  const astray = [leases.unowned && `${leases.unowned} unowned`, leases.heldByOthers && `${leases.heldByOthers} held by a dead scorer`].filter(Boolean).join(', ')
  const ended = leases.ended ? ` (and ${leases.ended} a reshard closed, read to their end)` : ''
  return [`Leases           ${scorers} scorer${scorers > 1 ? 's' : ''} on ${leases.shards} shards${ended}, held ${shares || 'by none'} at the end${astray ? ` (${astray})` : ''}${failover}`]
}

/** What the embedded emulators refused (per-shard limits) and injected (--inject). */
function faultsLine(f: NonNullable<RunSummary['faults']>): string {
  const part = (name: string, counts: { limitThrottled: number; injected: number; delayed: number } | null) =>
    counts ? `${name} ${[counts.limitThrottled && `${counts.limitThrottled} over shard limits`, counts.injected && `${counts.injected} injected`, counts.delayed && `${counts.delayed} delayed`].filter(Boolean).join(', ') || 'none'}` : undefined
  const parts = [part('kinesis', f.kinesis), part('dynamodb', f.dynamodb), part('sns', f.sns), f.scorerCrashes ? `scorer crashes ${f.scorerCrashes}` : undefined].filter(Boolean)
  return `Limits, faults   ${f.kinesisLimits ? 'Kinesis shard limits on' : 'Kinesis shard limits off'}${f.injected.length ? ` · --inject ${f.injected.join(' ')}` : ''} · ${parts.join('; ')}`
}

/** Detection in the load's first part against the rest, when both hold frauds: a cold start shows here. */
function overTimeLine(summary: RunSummary): string[] {
  const { firstMs, first, rest } = summary.accuracyOverTime
  if (first.frauds === 0 || rest.frauds === 0) return []
  return [`                 first ${formatDurationMs(firstMs)}: precision ${ratio(first.precision)}, recall ${ratio(first.recall)} · after: precision ${ratio(rest.precision)}, recall ${ratio(rest.recall)}`]
}
