import { junitDocument } from './junit.js'
import type { RunSummary } from './summary-schema.js'

export type Direction = 'lower-is-better' | 'higher-is-better'
export type MetricKind = 'latency' | 'throughput' | 'quality' | 'loss'

export interface ComparedMetric {
  metric: string
  kind: MetricKind
  direction: Direction
  baseline: number | null
  current: number | null
  /** current − baseline. */
  delta: number | null
  /** (current − baseline) / baseline. */
  relative: number | null
  regression: boolean
}

export interface Tolerances {
  /** Relative change allowed for latencies and throughput (0.1 = 10%). */
  relative: number
  /** Absolute change allowed for precision, recall, F1 and PR-AUC (0.02 = two points). */
  quality: number
}

export const DEFAULT_TOLERANCES: Tolerances = { relative: 0.1, quality: 0.02 }

interface MetricDefinition {
  metric: string
  kind: MetricKind
  read: (s: RunSummary) => number | null
}

function definitions(baseline: RunSummary, current: RunSummary): MetricDefinition[] {
  const latency = (name: string, read: (s: RunSummary) => number | null): MetricDefinition => ({ metric: name, kind: 'latency', read })
  const list: MetricDefinition[] = [
    ...(['p50', 'p90', 'p99', 'p999'] as const).map((p) => latency(`decision.${p}`, (s) => s.latencyMs.decision[p])),
    ...(['p50', 'p90', 'p99', 'p999'] as const).map((p) => latency(`e2e.${p}`, (s) => s.latencyMs.endToEnd[p])),
    ...(['generatorLag', 'put', 'propagation', 'scoring', 'actions', 'collection'] as const).map((stage) => latency(`${stage}.p99`, (s) => s.latencyMs.stages[stage].p99)),
    { metric: 'achievedTps', kind: 'throughput', read: (s) => s.throughput.achievedTps },
    { metric: 'throughputRatio', kind: 'throughput', read: (s) => (s.throughput.offeredTps ? s.throughput.achievedTps / s.throughput.offeredTps : null) },
    { metric: 'precision', kind: 'quality', read: (s) => s.accuracy.precision },
    { metric: 'recall', kind: 'quality', read: (s) => s.accuracy.recall },
    { metric: 'f1', kind: 'quality', read: (s) => s.accuracy.f1 },
    { metric: 'prAuc', kind: 'quality', read: (s) => s.accuracy.prAuc },
    { metric: 'lost', kind: 'loss', read: (s) => s.counts.lost },
    { metric: 'failedToProduce', kind: 'loss', read: (s) => s.counts.failedToProduce },
    { metric: 'dropped', kind: 'loss', read: (s) => s.counts.dropped },
    latency('ttd.p50', (s) => s.attacks.timeToDetectMs.p50),
    latency('ttd.p99', (s) => s.attacks.timeToDetectMs.p99),
  ]
  const archetypes = [...new Set([...Object.keys(baseline.accuracyByArchetype), ...Object.keys(current.accuracyByArchetype)])].sort()
  for (const name of archetypes) {
    list.push(
      { metric: `scenario:${name}.recall`, kind: 'quality', read: (s) => s.accuracyByArchetype[name]?.recall ?? null },
      { metric: `scenario:${name}.prAuc`, kind: 'quality', read: (s) => s.accuracyByArchetype[name]?.prAuc ?? null },
      latency(`scenario:${name}.ttd.p99`, (s) => s.attacks.byArchetype[name]?.timeToDetectMs.p99 ?? null),
    )
  }
  return list
}

const finite = (value: number | null) => (value !== null && Number.isFinite(value) ? value : null)

/**
 * Compares two runs metric by metric. A metric regresses when it moves the wrong way by more than
 * its tolerance: latencies and throughput relative to the baseline, quality ratios in absolute
 * points, and losses (lost, failed to produce, dropped) whenever they grow. A metric the baseline
 * had and the current run lacks is a regression too (a quality gate cannot pass on missing data).
 */
export function compareSummaries(baseline: RunSummary, current: RunSummary, tolerances: Tolerances = DEFAULT_TOLERANCES): ComparedMetric[] {
  return definitions(baseline, current).map(({ metric, kind, read }) => {
    const direction: Direction = kind === 'latency' || kind === 'loss' ? 'lower-is-better' : 'higher-is-better'
    const b = finite(read(baseline))
    const c = finite(read(current))
    const delta = b !== null && c !== null ? c - b : null
    const relative = delta !== null && b !== 0 && b !== null ? delta / Math.abs(b) : null
    let regression = false
    if (b !== null && c === null) regression = true
    else if (delta !== null) {
      const worse = direction === 'lower-is-better' ? delta : -delta
      if (kind === 'loss') regression = worse > 0
      else if (kind === 'quality') regression = worse > tolerances.quality + 1e-12
      else regression = b === 0 ? worse > 0 : worse / Math.abs(b as number) > tolerances.relative + 1e-12
    }
    return { metric, kind, direction, baseline: b, current: c, delta, relative, regression }
  })
}

/**
 * What makes two runs not comparable: another scenario or dataset, another offered rate, another
 * target, or a run that did not complete (a stopped run's figures cover part of a load). Each entry
 * names the difference; `report compare` refuses unless --force.
 */
export function differencesBetween(baseline: RunSummary, current: RunSummary): string[] {
  const workload = (s: RunSummary) => String(s.config.scenario ?? (s.config.dataset ? `${s.config.dataset} ${basename(String(s.config.file ?? ''))}` : s.command))
  const differences: string[] = []
  const differ = (what: string, b: unknown, c: unknown) => {
    if (b !== c) differences.push(`${what}: ${String(b)} against ${String(c)}`)
  }
  differ('scenario', workload(baseline), workload(current))
  const rate = (s: RunSummary) => Math.round(s.throughput.offeredTps)
  // Poisson arrivals and event-time pacing offer about the same rate from run to run: within 5%.
  if (Math.abs(rate(baseline) - rate(current)) > 0.05 * Math.max(rate(baseline), rate(current))) differ('offered rate (/s)', rate(baseline), rate(current))
  differ('target', baseline.config.target ?? 'unknown', current.config.target ?? 'unknown')
  differ('status', baseline.status, current.status)
  return differences
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function formatValue(value: number | null, kind: MetricKind): string {
  if (value === null) return '—'
  if (kind === 'latency') return `${value.toFixed(value < 10 ? 2 : 1)}ms`
  if (kind === 'loss') return Math.round(value).toLocaleString('en-US')
  if (kind === 'quality' || Math.abs(value) < 10) return value.toFixed(3)
  return (Math.round(value * 10) / 10).toLocaleString('en-US')
}

/** The change as people read it: a percentage, a factor once it passes ×10 (1 → 49,892 is not "+4989100%"), or the difference from 0. */
export function formatChange(row: ComparedMetric): string {
  if (row.delta === null) return ''
  if (row.relative === null || row.baseline === 0) return `${row.delta > 0 ? '+' : ''}${formatValue(row.delta, row.kind)}`
  const factor = row.current! / row.baseline!
  if (factor >= 10 || (factor > 0 && factor <= 0.1)) return `×${factor >= 10 ? Math.round(factor).toLocaleString('en-US') : factor.toPrecision(2)}`
  return `${row.relative >= 0 ? '+' : ''}${(row.relative * 100).toFixed(1)}%`
}

function regressionLine(rows: ComparedMetric[]): string {
  const regressions = rows.filter((r) => r.regression)
  return regressions.length ? `${regressions.length} regression${regressions.length > 1 ? 's' : ''} beyond tolerance: ${regressions.map((r) => r.metric).join(', ')}` : 'No regression beyond tolerance.'
}

function toleranceLine(tolerances: Tolerances): string {
  return `tolerance: latency and throughput ±${(tolerances.relative * 100).toFixed(0)}%, quality ±${tolerances.quality} absolute, losses must not grow`
}

export interface ComparisonContext {
  baseline: RunSummary
  current: RunSummary
  rows: ComparedMetric[]
  tolerances: Tolerances
  /** Differences the user compared despite (--force): said first. */
  forced: string[]
}

export function renderComparison({ baseline, current, rows, tolerances, forced }: ComparisonContext): string {
  const cells = rows.map((row) => [row.metric, formatValue(row.baseline, row.kind), formatValue(row.current, row.kind), formatChange(row)])
  // Columns as wide as their widest cell: a large count never runs into its neighbour.
  const widths = [0, 1, 2, 3].map((i) => Math.max(['metric', 'baseline', 'current', 'change'][i].length, ...cells.map((cell) => cell[i].length)))
  const line = (cell: string[]) => `${cell[0].padEnd(widths[0])}  ${cell[1].padStart(widths[1])}  ${cell[2].padStart(widths[2])}  ${cell[3].padStart(widths[3])}`
  const lines = [
    `baseline ${baseline.runId} (${baseline.command}, ${baseline.startedAt})`,
    `current  ${current.runId} (${current.command}, ${current.startedAt})`,
    ...forced.map((difference) => `compared despite --force: ${difference}`),
    toleranceLine(tolerances),
    '',
    line(['metric', 'baseline', 'current', 'change']),
    ...rows.map((row, i) => `${line(cells[i])}${row.regression ? '  ✗ regression' : ''}`),
    '',
    regressionLine(rows),
  ]
  return lines.join('\n')
}

/** For a pull-request comment: the regressions first, then every metric in a table. */
export function renderComparisonMarkdown({ baseline, current, rows, tolerances, forced }: ComparisonContext): string {
  const regressions = rows.filter((r) => r.regression)
  const cell = (text: string) => text.replaceAll('|', '\\|')
  return [
    `### fraudlab report compare: ${regressions.length ? `❌ ${regressionLine(rows)}` : '✅ no regression beyond tolerance'}`,
    '',
    `Baseline \`${baseline.runId}\` (${baseline.command}, ${baseline.startedAt}), current \`${current.runId}\` (${current.command}, ${current.startedAt}); ${toleranceLine(tolerances)}.`,
    ...(forced.length ? ['', ...forced.map((difference) => `> Compared despite --force: ${cell(difference)}`)] : []),
    '',
    '| metric | baseline | current | change | |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.map((row) => `| ${cell(row.metric)} | ${formatValue(row.baseline, row.kind)} | ${formatValue(row.current, row.kind)} | ${formatChange(row)} | ${row.regression ? '❌ regression' : ''} |`),
    '',
  ].join('\n')
}

/** JUnit XML for CI: one test case per metric, failing where it regressed. */
export function renderComparisonJunit({ baseline, current, rows }: ComparisonContext): string {
  const cases = rows.map((row) => ({
    classname: 'fraudlab.compare',
    name: row.metric,
    failure: row.regression ? `baseline ${formatValue(row.baseline, row.kind)}, current ${formatValue(row.current, row.kind)} (${formatChange(row) || 'missing'})` : undefined,
  }))
  return junitDocument({ name: `fraudlab compare ${baseline.runId} ${current.runId}`, timestamp: current.startedAt, cases }, 'fraudlab compare')
}
