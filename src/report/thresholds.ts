import { UserError } from '../errors/user-error.js'
import type { RunSummary } from './run-summary.js'
import { EXIT_CODES } from '../errors/exit-codes.js'

export type ThresholdSource = 'flag' | 'scenario'
type Operator = '<' | '<=' | '>' | '>=' | '==' | '!='

export interface Threshold {
  expression: string
  source: ThresholdSource
  /** The fraud archetype a `scenario:NAME.` metric reads, if any. */
  archetype?: string
  metric: string
  operator: Operator
  /** In the metric's unit: milliseconds for latencies. */
  value: number
}

export interface ThresholdResult {
  expression: string
  source: ThresholdSource
  /** The run's value in the metric's unit; null when the run has none (which fails the threshold). */
  actual: number | null
  ok: boolean
}

const LATENCY_SERIES = { decision: 'decision', e2e: 'endToEnd', generatorLag: 'generatorLag', put: 'put', propagation: 'propagation', scoring: 'scoring', actions: 'actions', collection: 'collection' } as const
const PERCENTILES = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'] as const
const COUNTS = ['lost', 'dropped', 'late', 'duplicated', 'failedToProduce', 'throttled', 'retried', 'scorerRestarts', 'invalidRecords', 'sent', 'decided', 'blocked', 'reviewed'] as const
const TIME_TO_DETECT = ['p50', 'p90', 'p99', 'max', 'mean'] as const
type Metric = number | null
const RUN_METRICS: Record<string, (s: RunSummary) => Metric> = {
  precision: (s) => s.accuracy.precision,
  recall: (s) => s.accuracy.recall,
  f1: (s) => s.accuracy.f1,
  fpr: (s) => s.accuracy.falsePositiveRate,
  prAuc: (s) => s.accuracy.prAuc,
  attacksDetected: (s) => (s.attacks.total ? s.attacks.detected / s.attacks.total : null),
  ...Object.fromEntries(TIME_TO_DETECT.map((p) => [`ttd.${p}`, (s: RunSummary) => s.attacks.timeToDetectMs[p]])),
  achievedTps: (s) => s.throughput.achievedTps,
  decidedTps: (s) => s.throughput.decidedTps,
  throughputRatio: (s) => s.throughput.achievedTps / s.throughput.offeredTps,
  ...Object.fromEntries(COUNTS.map((name) => [name, (s: RunSummary) => s.counts[name]])),
  ...Object.fromEntries(
    Object.entries(LATENCY_SERIES).flatMap(([prefix, series]) =>
      PERCENTILES.map((p) => [`${prefix}.${p}`, (s: RunSummary) => (series === 'decision' ? s.latencyMs.decision : series === 'endToEnd' ? s.latencyMs.endToEnd : s.latencyMs.stages[series])[p]]),
    ),
  ),
}
const ARCHETYPE_METRICS: Record<string, (s: RunSummary, archetype: string) => Metric> = {
  recall: (s, a) => s.accuracyByArchetype[a]?.recall ?? null,
  precision: (s, a) => s.accuracyByArchetype[a]?.precision ?? null,
  prAuc: (s, a) => s.accuracyByArchetype[a]?.prAuc ?? null,
  decided: (s, a) => s.accuracyByArchetype[a]?.decided ?? null,
  blocked: (s, a) => s.accuracyByArchetype[a]?.blocked ?? null,
  'decision.p99': (s, a) => s.latencyMs.decisionByArchetype[a]?.p99 ?? null,
  'e2e.p99': (s, a) => s.latencyMs.byArchetype[a]?.p99 ?? null,
  attacksDetected: (s, a) => {
    const attacks = s.attacks.byArchetype[a]
    return attacks?.total ? attacks.detected / attacks.total : null
  },
  ...Object.fromEntries(TIME_TO_DETECT.map((p) => [`ttd.${p}`, (s: RunSummary, a: string) => s.attacks.byArchetype[a]?.timeToDetectMs[p] ?? null])),
}
const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000 }

/** Every metric a threshold can name, compactly, for error messages and help. */
export function describeThresholdMetrics(): string {
  const plain = Object.keys(RUN_METRICS).filter((name) => !name.includes('.'))
  return [
    plain.join(', '),
    `latencies ${Object.keys(LATENCY_SERIES).join('|')} . ${PERCENTILES.join('|')} (such as decision.p99, e2e.p99 or scoring.max; unit us, ms or s)`,
    `time to detect an attack ttd.${TIME_TO_DETECT.join('|')} (a latency)`,
    `per fraud archetype scenario:ARCHETYPE.${Object.keys(ARCHETYPE_METRICS).join('|')}`,
  ].join('; ')
}

const GRAMMAR = /^\s*(?:scenario:([a-z0-9][a-z0-9-]*)\.)?([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)?)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*(us|µs|ms|s)?\s*$/

/**
 * Parses `[scenario:ARCHETYPE.]METRIC OP VALUE[UNIT]`, as k6 writes thresholds: `e2e.p99<250ms`,
 * `recall>0.9`, `scenario:card-testing.recall>0.95`, `lost==0`. Latencies take us, ms (the
 * default) or s. A mistake names what is wrong and what is valid.
 */
export function parseThreshold(expression: string, source: ThresholdSource, where = source === 'flag' ? '--threshold' : 'the scenario’s thresholds'): Threshold {
  const match = GRAMMAR.exec(expression)
  if (!match) {
    throw new UserError(`${where}: cannot read "${expression}".`, { hint: 'Write METRIC OP VALUE, such as decision.p99<250ms, recall>0.9, scenario:card-testing.recall>0.95 or lost==0 (OP is <, <=, >, >=, == or !=).' })
  }
  const [, archetype, metric, operator, number, unit] = match
  const known = archetype ? ARCHETYPE_METRICS[metric] : RUN_METRICS[metric]
  if (!known) {
    const valid = archetype ? `scenario:${archetype}.${Object.keys(ARCHETYPE_METRICS).join('|')}` : describeThresholdMetrics()
    throw new UserError(`${where}: unknown metric "${archetype ? `scenario:${archetype}.` : ''}${metric}" in "${expression}".`, { hint: `Valid metrics: ${valid}.` })
  }
  const isLatency = metric.includes('.')
  if (unit && !isLatency) throw new UserError(`${where}: "${metric}" is not a latency, so "${unit}" means nothing in "${expression}".`, { hint: 'Only latencies (decision.p99, e2e.p99, scoring.max, …) take a unit.' })
  return { expression: expression.trim(), source, archetype, metric, operator: operator as Operator, value: Number(number) * (isLatency ? UNIT_MS[unit ?? 'ms'] : 1) }
}

export function evaluateThresholds(thresholds: readonly Threshold[], summary: RunSummary): ThresholdResult[] {
  return thresholds.map((t) => {
    const value = t.archetype ? ARCHETYPE_METRICS[t.metric](summary, t.archetype) : RUN_METRICS[t.metric](summary)
    const actual = value !== null && Number.isFinite(value) ? value : null
    return { expression: t.expression, source: t.source, actual, ok: actual !== null && compare(actual, t.operator, t.value) }
  })
}

function compare(actual: number, operator: Operator, value: number): boolean {
  switch (operator) {
    case '<':
      return actual < value
    case '<=':
      return actual <= value
    case '>':
      return actual > value
    case '>=':
      return actual >= value
    case '==':
      return actual === value
    case '!=':
      return actual !== value
  }
}

/** k6's exit code for crossed thresholds: the report is written, and CI fails. */
export const THRESHOLDS_CROSSED_EXIT_CODE = EXIT_CODES.thresholdCrossed
