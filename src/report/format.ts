import type { RunSummary } from './summary-schema.js'

/** A ratio to three decimals; a dash for a value the run does not have. */
export function formatRatio(value: number | null): string {
  return value !== null && Number.isFinite(value) ? value.toFixed(3) : '—'
}

/** Milliseconds, two decimals under 10; a dash for a missing value. */
export function formatLatency(value: number | null, separator = ''): string {
  return value !== null && Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)}${separator}ms` : '—'
}

/** Text that goes inside HTML or XML, attributes included. */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** The run's outcome in one phrase, as every renderer states it: failed, not reconciled, thresholds crossed, or passed. */
export function runVerdict(summary: RunSummary): { ok: boolean; text: string } {
  const crossed = summary.thresholds.filter((t) => !t.ok).length
  if (summary.status === 'failed') return { ok: false, text: summary.error ? `failed: ${summary.error}` : 'failed' }
  if (!summary.reconciliation.ok) return { ok: false, text: 'not reconciled' }
  if (crossed) return { ok: false, text: `${crossed} threshold${crossed > 1 ? 's' : ''} crossed` }
  if (summary.status === 'interrupted') return { ok: true, text: 'interrupted (reconciled)' }
  if (summary.status === 'over-capacity') return { ok: true, text: 'over capacity (reconciled)' }
  return { ok: true, text: 'passed' }
}

/** How the run's streams were read, when not by polling: the scorer's transactions, the collector's decisions. */
export function readersOf(config: RunSummary['config']): { scorer?: 'enhanced fan-out'; collector?: 'enhanced fan-out' } {
  return {
    ...(config.consumer === 'efo' ? { scorer: 'enhanced fan-out' as const } : {}),
    ...(config.collectorConsumer === 'efo' ? { collector: 'enhanced fan-out' as const } : {}),
  }
}

/** A stage's name with the way it was read, where enhanced fan-out read it (propagation: the scorer; collection: the collector). */
export function stageName(stage: string, label: string, config: RunSummary['config']): string {
  const readers = readersOf(config)
  if (stage === 'propagation' && readers.scorer) return `${label} efo`
  if (stage === 'collection' && readers.collector) return `${label} efo`
  return label
}
