import { escapeMarkup } from '../format.js'

/**
 * Small SVG charts rendered at report time, so `report.html` needs no script, no network and no
 * library to show them. Every chart is an <svg class="chart" data-chart="NAME"> whose data marks
 * carry class "mark" (a test counts them and looks for their colours in a screenshot).
 */

export const PALETTE = ['#1f6feb', '#d1242f', '#1a7f37', '#bf8700', '#8250df', '#cf222e', '#0a7ea4', '#953800']

export interface Series {
  name: string
  color: string
  points: Array<[number, number]>
  dashed?: boolean
  /** Stroke width; a wide series drawn first stays visible around a narrower one that follows it. */
  width?: number
}

interface Frame {
  width: number
  height: number
  left: number
  right: number
  top: number
  bottom: number
}

const FRAME: Frame = { width: 640, height: 260, left: 56, right: 16, top: 28, bottom: 40 }


/** Round, human tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) max = min + 1
  const rough = (max - min) / count
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough
  const ticks: number[] = []
  const last = Math.ceil(max / step - 1e-9) * step
  for (let v = Math.floor(min / step + 1e-9) * step; v <= last + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)))
  return ticks
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—'
  const abs = Math.abs(value)
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`
  if (abs >= 1e4) return `${(value / 1e3).toPrecision(3)}k`
  if (Number.isInteger(value)) return String(value)
  return abs >= 100 ? value.toFixed(0) : abs >= 1 ? value.toFixed(1) : value.toPrecision(2)
}

function open(name: string, title: string, frame: Frame): string {
  return `<svg class="chart" data-chart="${escapeMarkup(name)}" viewBox="0 0 ${frame.width} ${frame.height}" width="${frame.width}" height="${frame.height}" role="img" aria-label="${escapeMarkup(title)}"><title>${escapeMarkup(title)}</title>`
}

/** The legend along the top, wrapping onto a second line (charts with many series reserve the room). */
function legend(series: Array<{ name: string; color: string }>, frame: Frame): string {
  let x = frame.left
  let y = 8
  return series
    .map((s) => {
      const width = 28 + s.name.length * 7
      if (x + width > frame.width - 4 && x > frame.left) {
        x = frame.left
        y += 18
      }
      const item = `<rect class="legend-key" x="${x}" y="${y}" width="12" height="12" fill="${s.color}"/><text x="${x + 16}" y="${y + 10}" class="legend">${escapeMarkup(s.name)}</text>`
      x += width
      return item
    })
    .join('')
}

function empty(name: string, title: string, message: string): string {
  return `${open(name, title, FRAME)}<text x="${FRAME.width / 2}" y="${FRAME.height / 2}" text-anchor="middle" class="empty">${escapeMarkup(message)}</text></svg>`
}

export interface LineChartOptions {
  name: string
  title: string
  series: Series[]
  xLabel: string
  yLabel: string
  xFormat?: (x: number) => string
  xDomain?: [number, number]
  yDomain?: [number, number]
  /** Draw dots as well as lines (for short series). */
  dots?: boolean
}

export function lineChart(options: LineChartOptions): string {
  const f = FRAME
  const all = options.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)))
  if (!all.length) return empty(options.name, options.title, 'no data')
  const [x0, x1] = options.xDomain ?? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))]
  const yTicks = options.yDomain ? niceTicks(options.yDomain[0], options.yDomain[1]) : niceTicks(0, Math.max(...all.map((p) => p[1])) * 1.05 || 1)
  const [y0, y1] = options.yDomain ?? [0, yTicks[yTicks.length - 1]]
  const sx = (x: number) => f.left + ((x - x0) / (x1 - x0 || 1)) * (f.width - f.left - f.right)
  const sy = (y: number) => f.height - f.bottom - ((y - y0) / (y1 - y0 || 1)) * (f.height - f.top - f.bottom)
  const xFormat = options.xFormat ?? formatNumber
  const parts = [open(options.name, options.title, f)]
  for (const tick of yTicks) {
    parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${sy(tick)}" y2="${sy(tick)}" class="grid"/><text x="${f.left - 6}" y="${sy(tick) + 4}" text-anchor="end" class="tick">${formatNumber(tick)}</text>`)
  }
  for (const tick of niceTicks(x0, x1, 6)) {
    if (tick < x0 || tick > x1) continue
    parts.push(`<text x="${sx(tick)}" y="${f.height - f.bottom + 16}" text-anchor="middle" class="tick">${escapeMarkup(xFormat(tick))}</text>`)
  }
  parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}" class="axis"/>`)
  parts.push(`<text x="${(f.left + f.width - f.right) / 2}" y="${f.height - 6}" text-anchor="middle" class="label">${escapeMarkup(options.xLabel)}</text>`)
  parts.push(`<text transform="translate(14 ${(f.top + f.height - f.bottom) / 2}) rotate(-90)" text-anchor="middle" class="label">${escapeMarkup(options.yLabel)}</text>`)
  for (const s of options.series) {
    const points = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    if (!points.length) continue
    const path = points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join('')
    parts.push(`<path class="mark" d="${path}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2.5}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeMarkup(s.name)}</title></path>`)
    if (options.dots || points.length === 1) for (const [x, y] of points) parts.push(`<circle class="mark" cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${s.color}"/>`)
  }
  parts.push(legend(options.series, f), '</svg>')
  return parts.join('')
}

export interface BarGroup {
  label: string
  values: number[]
}

/** Grouped horizontal bars: one row per group, one bar per series. */
export function barChart(options: { name: string; title: string; groups: BarGroup[]; series: Array<{ name: string; color: string }>; max?: number; unit?: string }): string {
  if (!options.groups.length) return empty(options.name, options.title, 'no data')
  const rowHeight = 14 * options.series.length + 10
  const f: Frame = { ...FRAME, left: 150, right: 70, height: FRAME.top + options.groups.length * rowHeight + 30 }
  const max = options.max ?? Math.max(...options.groups.flatMap((g) => g.values.filter(Number.isFinite)), 0) * 1.05
  const sx = (v: number) => ((f.width - f.left - f.right) * v) / (max || 1)
  const parts = [open(options.name, options.title, f)]
  options.groups.forEach((group, g) => {
    const top = f.top + g * rowHeight
    parts.push(`<text x="${f.left - 8}" y="${top + rowHeight / 2 + 2}" text-anchor="end" class="tick">${escapeMarkup(group.label)}</text>`)
    group.values.forEach((value, k) => {
      const y = top + 4 + k * 14
      const width = Number.isFinite(value) ? Math.max(1, sx(value)) : 0
      parts.push(`<rect class="mark" x="${f.left}" y="${y}" width="${width.toFixed(1)}" height="12" fill="${options.series[k].color}"><title>${escapeMarkup(`${group.label} ${options.series[k].name}: ${formatNumber(value)}${options.unit ?? ''}`)}</title></rect>`)
      parts.push(`<text x="${f.left + width + 4}" y="${y + 10}" class="tick">${formatNumber(value)}${escapeMarkup(options.unit ?? '')}</text>`)
    })
  })
  parts.push(`<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - 26}" class="axis"/>`)
  parts.push(legend(options.series, f), '</svg>')
  return parts.join('')
}

/** One horizontal bar per row, split into coloured segments (where time goes, stage by stage). */
export function stackedBars(options: { name: string; title: string; rows: Array<{ label: string; segments: number[] }>; segments: Array<{ name: string; color: string }>; unit: string }): string {
  const f: Frame = { ...FRAME, left: 110, right: 80, top: 48, height: 48 + options.rows.length * 36 + 30 }
  const totals = options.rows.map((r) => r.segments.reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0))
  const max = Math.max(...totals, 0)
  if (!(max > 0)) return empty(options.name, options.title, 'no data')
  const sx = (v: number) => ((f.width - f.left - f.right) * v) / max
  const parts = [open(options.name, options.title, f)]
  options.rows.forEach((row, r) => {
    const y = f.top + 8 + r * 36
    let x = f.left
    parts.push(`<text x="${f.left - 8}" y="${y + 15}" text-anchor="end" class="tick">${escapeMarkup(row.label)}</text>`)
    row.segments.forEach((value, k) => {
      if (!(value > 0)) return
      const width = sx(value)
      parts.push(`<rect class="mark" x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, width).toFixed(1)}" height="22" fill="${options.segments[k].color}"><title>${escapeMarkup(`${options.segments[k].name}: ${formatNumber(value)} ${options.unit}`)}</title></rect>`)
      x += width
    })
    parts.push(`<text x="${x + 6}" y="${y + 15}" class="tick">${formatNumber(totals[r])} ${escapeMarkup(options.unit)}</text>`)
  })
  parts.push(legend(options.segments, f), '</svg>')
  return parts.join('')
}
