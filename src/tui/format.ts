const SPARKS = '▁▂▃▄▅▆▇█'

/** The last `width` values as a sparkline scaled to `max` (or their own maximum). */
export function sparkline(values: number[], width: number, max = Math.max(0, ...values)): string {
  const shown = values.slice(-width)
  if (!shown.length) return ''
  return shown.map((v) => (max > 0 ? SPARKS[Math.max(0, Math.min(SPARKS.length - 1, Math.round((v / max) * (SPARKS.length - 1))))] : SPARKS[0])).join('')
}

export function progressBar(fraction: number, width: number): string {
  const clamped = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0
  const filled = Math.round(clamped * width)
  return '█'.repeat(filled) + '░'.repeat(Math.max(0, width - filled))
}

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '—'
  if (value >= 10_000) return `${(value / 1000).toFixed(1)}s`
  return value >= 100 ? `${value.toFixed(0)}ms` : `${value.toFixed(1)}ms`
}

export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '—'
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`
  return String(Math.round(value))
}


export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  const total = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`
}

/** Cuts `text` to `width` columns with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return ''
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`
}
