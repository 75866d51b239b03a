import { escapeMarkup as e, formatLatency, formatRatio, readersOf, runVerdict, stageName } from '../format.js'
import type { RunSummary } from '../summary-schema.js'
import { barChart, formatNumber, lineChart, PALETTE, stackedBars, type Series } from './svg-chart.js'

const STAGE_LABELS: Record<keyof RunSummary['latencyMs']['stages'], string> = {
  generatorLag: 'generator lag',
  put: 'put (Kinesis ack)',
  propagation: 'stream propagation',
  scoring: 'scoring',
  actions: 'actions (DynamoDB, SNS)',
  collection: 'decision collection',
}

const ms = (value: number | null) => formatLatency(value, ' ')
const ratio = formatRatio

/**
 * `report.html`: one self-contained page (inline CSS and SVG, no script, no network) with a chart
 * for each part of the summary: throughput and latency over time, where latency goes, accuracy
 * and PR curve, per-archetype detection and time to detect, then the run's configuration,
 * versions and model card.
 */
export function renderHtmlReport(summary: RunSummary): string {
  const body = [header(summary), tiles(summary), throughputSection(summary), latencySection(summary), accuracySection(summary), detectionOverTimeSection(summary), archetypeSection(summary), ...(summary.models ? [modelsSection(summary.models)] : []), attackSection(summary), countsSection(summary), thresholdSection(summary), configSection(summary)]
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fraudlab ${e(summary.command)} ${e(summary.runId)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`
}

function header(summary: RunSummary): string {
  const v = runVerdict(summary)
  const config = summary.config
  const facts = [
    ['scenario', config.scenario],
    ['dataset', config.dataset === undefined ? undefined : `${String(config.dataset)} ${String(config.file ?? '')}`],
    ['target', config.target],
    ['scorer reads by', readersOf(config).scorer],
    ['decisions read by', readersOf(config).collector],
    ['seed', config.seed],
    ['model', summary.model?.version ?? 'none'],
    ['started', summary.startedAt],
    ['ended', summary.endedAt],
  ].filter(([, value]) => value !== undefined && value !== null)
  return `<header><h1>fraudlab ${e(summary.command)} <code>${e(summary.runId)}</code> <span class="badge ${v.ok ? 'ok' : 'bad'}">${e(v.text)}</span></h1>
<p class="facts">${facts.map(([name, value]) => `<span><b>${e(String(name))}</b> ${e(String(value))}</span>`).join(' ')}</p>
${summary.mergedFrom ? `<p class="facts">merged from ${summary.mergedFrom.map((id) => `<code>${e(id)}</code>`).join(', ')}</p>` : ''}</header>`
}

function tiles(summary: RunSummary): string {
  const c = summary.counts
  const items: Array<[string, string, boolean?]> = [
    ['sent', formatNumber(c.sent)],
    ['decided', formatNumber(c.decided)],
    ['lost', String(c.lost), c.lost > 0],
    ['achieved / offered', `${formatNumber(summary.throughput.achievedTps)} / ${formatNumber(summary.throughput.offeredTps)} tps`],
    ['decision p99', ms(summary.latencyMs.decision.p99)],
    ['end-to-end p99 (observed)', ms(summary.latencyMs.endToEnd.p99)],
    ['precision', ratio(summary.accuracy.precision)],
    ['recall', ratio(summary.accuracy.recall)],
    ['PR-AUC', ratio(summary.accuracy.prAuc)],
    ['attacks detected', `${summary.attacks.detected} / ${summary.attacks.total}`],
  ]
  return `<section class="tiles">${items.map(([name, value, bad]) => `<div class="tile${bad ? ' bad' : ''}"><div class="value">${e(value)}</div><div class="name">${e(name)}</div></div>`).join('')}</section>`
}

function relativeSeconds(summary: RunSummary): (at: number) => number {
  const first = summary.timeline.points[0]?.at ?? 0
  return (at) => (at - first) / 1000
}

function throughputSection(summary: RunSummary): string {
  const { bucketMs, points } = summary.timeline
  const t = relativeSeconds(summary)
  const rate = (count: number) => count / (bucketMs / 1000)
  const series: Series[] = [
    { name: 'offered', color: PALETTE[0], points: points.map((p) => [t(p.at), rate(p.offered)]), width: 7 },
    { name: 'sent (acknowledged)', color: PALETTE[2], points: points.map((p) => [t(p.at), rate(p.sent)]) },
    { name: 'decided', color: PALETTE[3], points: points.map((p) => [t(p.at), rate(p.decided)]), dashed: true },
    { name: 'dropped', color: PALETTE[1], points: points.map((p) => [t(p.at), rate(p.dropped)]) },
  ]
  return section(
    'Throughput over time',
    `<p>Offered is what the schedule asked for; sent is what Kinesis acknowledged; decided is what came back on the decisions stream. Buckets of ${bucketMs / 1000} s.</p>` +
      lineChart({ name: 'throughput', title: 'Throughput over time', series, xLabel: 'seconds since start', yLabel: 'transactions / s' }),
  )
}

/** Recall and precision per bucket (by scheduled time), overall and per archetype: a drift or a cold start shows as a dip. */
function detectionOverTimeSection(summary: RunSummary): string {
  const t = relativeSeconds(summary)
  const points = summary.timeline.points
  const archetypes = [...new Set(points.flatMap((p) => Object.keys(p.archetypes)))].sort()
  const series: Series[] = [
    { name: 'recall, all fraud', color: PALETTE[0], points: points.map((p) => [t(p.at), p.recall ?? NaN]), width: 4 },
    { name: 'precision', color: PALETTE[1], points: points.map((p) => [t(p.at), p.precision ?? NaN]), dashed: true },
    ...archetypes.map((name, k) => ({ name: `recall, ${name}`, color: PALETTE[(k + 2) % PALETTE.length], points: points.map((p): [number, number] => [t(p.at), p.archetypes[name]?.recall ?? NaN]) })),
  ]
  return section(
    'Detection over time',
    `<p>Of the transactions scheduled in each ${summary.timeline.bucketMs / 1000} s bucket: the share of frauds blocked (recall) and the share of blocks that were fraud (precision), by first verdict. A cold start or a drift shows as a dip.</p>` +
      lineChart({ name: 'detection-over-time', title: 'Recall and precision over time', series, xLabel: 'seconds since start (by scheduled time)', yLabel: 'share', yDomain: [0, 1], dots: points.length < 30 }),
  )
}

function latencySection(summary: RunSummary): string {
  const t = relativeSeconds(summary)
  const points = summary.timeline.points.filter((p) => p.decision.count > 0)
  const overTime = lineChart({
    name: 'latency-over-time',
    title: 'Decision latency over time',
    series: [
      { name: 'p50', color: PALETTE[0], points: points.map((p) => [t(p.at), p.decision.p50 ?? NaN]) },
      { name: 'p90', color: PALETTE[3], points: points.map((p) => [t(p.at), p.decision.p90 ?? NaN]) },
      { name: 'p99', color: PALETTE[1], points: points.map((p) => [t(p.at), p.decision.p99 ?? NaN]) },
    ],
    xLabel: 'seconds since start (by scheduled time)',
    yLabel: 'ms',
  })
  const stages = Object.keys(STAGE_LABELS) as Array<keyof typeof STAGE_LABELS>
  const breakdown = stackedBars({
    name: 'latency-breakdown',
    title: 'Where the time goes',
    unit: 'ms',
    segments: stages.map((stage, k) => ({ name: stageName(stage, STAGE_LABELS[stage], summary.config), color: PALETTE[k % PALETTE.length] })),
    rows: (['p50', 'p90', 'p99'] as const).map((p) => ({ label: `stage ${p}`, segments: stages.map((stage) => summary.latencyMs.stages[stage][p] ?? NaN) })),
  })
  const rows = [
    ['decision', summary.latencyMs.decision] as const,
    ['end to end (observed)', summary.latencyMs.endToEnd] as const,
    ...stages.map((stage) => [stageName(stage, STAGE_LABELS[stage], summary.config), summary.latencyMs.stages[stage]] as const),
    ...Object.entries(summary.latencyMs.decisionByArchetype).map(([name, l]) => [`decision, ${name}`, l] as const),
  ]
  const table = `<table><thead><tr><th>latency</th><th>count</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr></thead><tbody>${rows
    .map(([name, l]) => `<tr><td>${e(name)}</td><td>${l.count}</td>${[l.p50, l.p90, l.p95, l.p99, l.p999, l.max, l.mean].map((v) => `<td>${ms(v)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`
  return section(
    'Latency',
    `<p>Measured from each transaction's <em>scheduled</em> send time (no coordinated omission). <em>Decision</em> ends when the decision took effect (BlockList written and alert published for a block); <em>end to end (observed)</em> adds fraudlab's own read of the decisions stream. The stage bars add each stage's percentile; percentiles do not add exactly, so the total is a guide, not the end-to-end figure.</p>` +
      overTime +
      breakdown +
      table,
  )
}

function accuracySection(summary: RunSummary): string {
  const a = summary.accuracy
  const curve = lineChart({
    name: 'pr-curve',
    title: 'Precision-recall curve',
    series: [{ name: `PR curve (AUC ${ratio(a.prAuc)})`, color: PALETTE[4], points: a.prCurve }],
    xLabel: 'recall',
    yLabel: 'precision',
    xDomain: [0, 1],
    yDomain: [0, 1],
    xFormat: (x) => x.toFixed(1),
  })
  const matrix = `<table class="confusion"><thead><tr><th></th><th>blocked</th><th>not blocked</th></tr></thead><tbody>
<tr><th>fraud</th><td class="good">${a.truePositives} TP</td><td class="bad">${a.falseNegatives} FN</td></tr>
<tr><th>genuine</th><td class="bad">${a.falsePositives} FP</td><td class="good">${a.trueNegatives} TN</td></tr></tbody></table>`
  return section(
    'Detection quality',
    `<p>Precision ${ratio(a.precision)}, recall ${ratio(a.recall)}, F1 ${ratio(a.f1)}, false-positive rate ${ratio(a.falsePositiveRate)}, PR-AUC ${ratio(a.prAuc)}. Labels come from the run ledger; the scorer never sees them.</p><div class="row">${matrix}${curve}</div>`,
  )
}

function archetypeSection(summary: RunSummary): string {
  const entries = Object.entries(summary.accuracyByArchetype)
  if (!entries.length) return section('Per archetype', '<p>This run had no fraudulent transactions.</p>')
  const chart = barChart({
    name: 'archetypes',
    title: 'Recall and precision per archetype',
    groups: entries.map(([name, a]) => ({ label: name, values: [a.recall ?? NaN, a.precision ?? NaN, a.prAuc ?? NaN] })),
    series: [
      { name: 'recall', color: PALETTE[2] },
      { name: 'precision', color: PALETTE[0] },
      { name: 'PR-AUC', color: PALETTE[4] },
    ],
    max: 1,
  })
  const table = `<table><thead><tr><th>archetype</th><th>decided</th><th>blocked</th><th>recall</th><th>precision</th><th>PR-AUC</th><th>e2e p99</th><th>attacks detected</th><th>time to detect p50</th><th>p99</th></tr></thead><tbody>${entries
    .map(([name, a]) => {
      const attacks = summary.attacks.byArchetype[name]
      return `<tr><td>${e(name)}</td><td>${a.decided}</td><td>${a.blocked}</td><td>${ratio(a.recall)}</td><td>${ratio(a.precision)}</td><td>${ratio(a.prAuc)}</td><td>${ms(summary.latencyMs.byArchetype[name]?.p99 ?? null)}</td><td>${attacks ? `${attacks.detected} / ${attacks.total}` : '—'}</td><td>${ms(attacks?.timeToDetectMs.p50 ?? null)}</td><td>${ms(attacks?.timeToDetectMs.p99 ?? null)}</td></tr>`
    })
    .join('')}</tbody></table>`
  return section('Per archetype', `<p>Precision per archetype counts every false positive against it (false positives belong to no archetype).</p>${chart}${table}`)
}

/** Champion against shadow on the same transactions: overall, per archetype, and the cost of each model's call. */
function modelsSection(models: NonNullable<RunSummary['models']>): string {
  const { champion, shadow, agreement } = models
  const archetypes = [...new Set([...Object.keys(champion.byArchetype), ...Object.keys(shadow.byArchetype)])].sort()
  const pair = (c: number | null | undefined, s: number | null | undefined) => `<td>${ratio(c ?? null)}</td><td>${ratio(s ?? null)}</td>`
  const rows = [
    `<tr><td>all fraud</td>${pair(champion.precision, shadow.precision)}${pair(champion.recall, shadow.recall)}${pair(champion.prAuc, shadow.prAuc)}</tr>`,
    ...archetypes.map((name) => {
      const c = champion.byArchetype[name]
      const s = shadow.byArchetype[name]
      return `<tr><td>${e(name)}</td>${pair(c?.precision, s?.precision)}${pair(c?.recall, s?.recall)}${pair(c?.prAuc, s?.prAuc)}</tr>`
    }),
    `<tr><td>model call p50 / p99</td><td colspan="3">${ms(champion.modelMs.p50)} / ${ms(champion.modelMs.p99)}</td><td colspan="3">${ms(shadow.modelMs.p50)} / ${ms(shadow.modelMs.p99)}</td></tr>`,
  ]
  const chart = barChart({
    name: 'champion-shadow',
    title: 'PR-AUC per archetype: champion and shadow',
    groups: archetypes.map((name) => ({ label: name, values: [champion.byArchetype[name]?.prAuc ?? NaN, shadow.byArchetype[name]?.prAuc ?? NaN] })),
    series: [
      { name: `champion ${champion.version}`, color: PALETTE[0] },
      { name: `shadow ${shadow.version}`, color: PALETTE[4] },
    ],
    max: 1,
  })
  return section(
    'Champion and shadow',
    `<p>The champion <code>${e(champion.version)}</code> decided and acted; the shadow <code>${e(shadow.version)}</code> scored the same transactions from the same features and only had its verdicts recorded. Same verdict on ${ratio(agreement.sameVerdict)} of them; the champion alone blocked ${agreement.championOnlyBlocks}, the shadow alone would have blocked ${agreement.shadowOnlyBlocks}.</p>` +
      chart +
      `<table><thead><tr><th></th><th>precision, champion</th><th>shadow</th><th>recall, champion</th><th>shadow</th><th>PR-AUC, champion</th><th>shadow</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
  )
}

function attackSection(summary: RunSummary): string {
  const attacks = summary.attacks
  if (!attacks.total) return section('Time to detect', '<p>No attack in this run carried an attack id (PaySim rows carry none).</p>')
  const archetypes = Object.keys(attacks.byArchetype)
  const t0 = attacks.list[0]?.startedAt ?? 0
  const series: Series[] = archetypes.map((name, k) => ({
    name,
    color: PALETTE[k % PALETTE.length],
    points: attacks.list.filter((a) => a.archetype === name && a.timeToDetectMs !== null).map((a) => [(a.startedAt - t0) / 1000, a.timeToDetectMs as number]),
  }))
  const chart = lineChart({ name: 'time-to-detect', title: 'Time to detect per attack', series: series.map((s) => ({ ...s, points: s.points.sort((p, q) => p[0] - q[0]) })), xLabel: 'attack start, seconds since the first attack', yLabel: 'ms to first block', dots: true })
  const undetected = attacks.list.filter((a) => a.timeToDetectMs === null)
  return section(
    'Time to detect',
    `<p>From each attack's first transaction (scheduled time) to its first block taking effect. ${attacks.detected} of ${attacks.total} attacks detected; p50 ${ms(attacks.timeToDetectMs.p50)}, p99 ${ms(attacks.timeToDetectMs.p99)}.</p>${chart}` +
      (undetected.length ? `<p>Never blocked: ${undetected.slice(0, 50).map((a) => `<code>${e(a.attackId)}</code> (${e(a.archetype)}, ${a.transactions} tx)`).join(', ')}${undetected.length > 50 ? ', …' : ''}</p>` : ''),
  )
}

function countsSection(summary: RunSummary): string {
  const r = summary.reconciliation
  const rows = Object.entries(summary.counts).map(([name, value]) => `<tr><td>${e(name)}</td><td>${value === null ? 'n/a' : value}</td></tr>`)
  const notes = r.notes.map((note) => `<li>${e(note)}</li>`).join('')
  return section(
    'Counts and reconciliation',
    `<p>Reconciliation <b class="${r.ok ? 'okText' : 'badText'}">${r.ok ? 'OK' : 'FAILED'}</b>: every transaction Kinesis accepted ${r.missingCount ? `except ${r.missingCount}` : ''} has a decision.</p>` +
      (r.missingIds.length ? `<p>Missing: ${r.missingIds.map((id) => `<code>${e(id)}</code>`).join(', ')}</p>` : '') +
      (notes ? `<ul>${notes}</ul>` : '') +
      `<table class="narrow"><tbody>${rows.join('')}</tbody></table>`,
  )
}

function thresholdSection(summary: RunSummary): string {
  if (!summary.thresholds.length) return ''
  return section(
    'Thresholds',
    `<table><thead><tr><th>threshold</th><th>actual</th><th>source</th><th></th></tr></thead><tbody>${summary.thresholds
      .map((t) => `<tr><td><code>${e(t.expression)}</code></td><td>${t.actual === null ? 'no value' : formatNumber(t.actual)}</td><td>${t.source}</td><td class="${t.ok ? 'okText' : 'badText'}">${t.ok ? 'passed' : 'crossed'}</td></tr>`)
      .join('')}</tbody></table>`,
  )
}

function configSection(summary: RunSummary): string {
  const json = (value: unknown) => `<pre>${e(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2))}</pre>`
  const card = summary.model?.card
  const cardSummary = card
    ? { name: card.name, version: card.version, createdAt: card.createdAt, features: card.features.length, thresholds: card.thresholds, training: card.training && { ...card.training, data: card.training.data.map((d) => ({ file: d.file, rows: d.rows, positives: d.positives, sha256: d.sha256.slice(0, 12) })) }, validation: card.validation?.overall }
    : null
  return section(
    'Configuration, versions and model',
    `<details open><summary>configuration</summary>${json(summary.config)}</details><details><summary>versions</summary>${json(summary.versions)}</details>` +
      `<details><summary>model ${e(summary.model?.version ?? 'none')}</summary>${json(cardSummary ?? summary.model)}</details><details><summary>diagnostics</summary>${json(summary.diagnostics)}</details>`,
  )
}

function section(title: string, content: string): string {
  return `<section><h2>${e(title)}</h2>${content}</section>`
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1360px;padding:16px 24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
.badge{font-size:13px;padding:2px 10px;border-radius:12px;vertical-align:middle}.badge.ok{background:#dafbe1;color:#1a7f37}.badge.bad{background:#ffebe9;color:#cf222e}
.facts span{margin-right:14px;color:#59636e}.facts b{color:#1f2328;font-weight:600}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}.tile{border:1px solid #d0d7de;border-radius:8px;padding:8px 14px;min-width:110px}.tile .value{font-size:20px;font-weight:600}.tile .name{color:#59636e;font-size:12px}.tile.bad{border-color:#cf222e;color:#cf222e}
svg.chart{max-width:100%;height:auto;margin:6px 12px 6px 0;border:1px solid #eaeef2;border-radius:6px;background:#fff}
svg .grid{stroke:#eaeef2}svg .axis{stroke:#8c959f}svg .tick{font-size:11px;fill:#59636e}svg .label{font-size:12px;fill:#1f2328}svg .legend{font-size:12px;fill:#1f2328}svg .empty{font-size:14px;fill:#8c959f}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}thead th{background:#f6f8fa}
table.confusion td{font-size:16px;padding:14px 20px}table.confusion td.good{background:#dafbe1}table.confusion td.bad{background:#ffebe9}
.row{display:flex;flex-wrap:wrap;align-items:flex-start;gap:16px}.okText{color:#1a7f37}.badText{color:#cf222e}
pre{background:#f6f8fa;padding:8px;border-radius:6px;overflow:auto;max-height:360px;font-size:12px}
`
