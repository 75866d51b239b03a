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

export function renderComparison(baseline: RunSummary, current: RunSummary, rows: ComparedMetric[], tolerances: Tolerances): string {
  const format = (value: number | null, kind: MetricKind) =>
    value === null ? '—' : kind === 'latency' ? `${value.toFixed(value < 10 ? 2 : 1)}ms` : kind === 'quality' || Math.abs(value) < 10 ? value.toFixed(3) : String(Math.round(value * 10) / 10)
  const change = (row: ComparedMetric) => (row.relative === null ? (row.delta === null ? '' : row.delta > 0 ? '+' + format(row.delta, row.kind) : format(row.delta, row.kind)) : `${row.relative >= 0 ? '+' : ''}${(row.relative * 100).toFixed(1)}%`)
  const regressions = rows.filter((r) => r.regression)
  const lines = [
    `baseline ${baseline.runId} (${baseline.command}, ${baseline.startedAt})`,
    `current  ${current.runId} (${current.command}, ${current.startedAt})`,
    `tolerance: latency and throughput ±${(tolerances.relative * 100).toFixed(0)}%, quality ±${tolerances.quality} absolute, losses must not grow`,
    '',
    `${'metric'.padEnd(34)}${'baseline'.padStart(12)}${'current'.padStart(12)}${'change'.padStart(10)}`,
    ...rows.map((row) => `${row.metric.padEnd(34)}${format(row.baseline, row.kind).padStart(12)}${format(row.current, row.kind).padStart(12)}${change(row).padStart(10)}${row.regression ? '  ✗ regression' : ''}`),
    '',
    regressions.length ? `${regressions.length} regression${regressions.length > 1 ? 's' : ''} beyond tolerance: ${regressions.map((r) => r.metric).join(', ')}` : 'No regression beyond tolerance.',
  ]
  return lines.join('\n')
}
