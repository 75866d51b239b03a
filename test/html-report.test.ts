import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PNG } from 'pngjs'
import { tempDir } from './helpers.js'
import { syntheticRun, writeSyntheticReport } from './report-fixtures.js'
import { describeNeeding } from './optional-suite.js'

const run = promisify(execFile)
const CHROMIUM = [process.env.CHROMIUM_BINARY, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) => path && existsSync(path))
const BAND = 600
const WIDTH = 700

/** Headless Chromium, as this machine allows it: no sandbox (root), no background network, a fresh profile. */
async function screenshot(htmlPath: string, pngPath: string, width: number, height: number): Promise<PNG> {
  await run(
    CHROMIUM as string,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
      `--user-data-dir=${tempDir('chromium-profile')}`, `--window-size=${width},${height}`, `--screenshot=${pngPath}`, `file://${htmlPath}`],
    { timeout: 90_000 },
  )
  return PNG.sync.read(readFileSync(pngPath))
}

function hex(color: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number]
}

/** Pixels of `png` within rows [top, bottom) that are close to `color`. */
function countColor(png: PNG, top: number, bottom: number, color: string): number {
  const [r, g, b] = hex(color)
  let count = 0
  for (let y = top; y < Math.min(bottom, png.height); y++) {
    for (let x = 0; x < png.width; x++) {
      const i = (y * png.width + x) * 4
      if (Math.abs(png.data[i] - r) + Math.abs(png.data[i + 1] - g) + Math.abs(png.data[i + 2] - b) < 60) count++
    }
  }
  return count
}

describeNeeding('report.html in headless Chromium', CHROMIUM ? false : 'Chromium is not installed (apt-get install chromium; .ci/run installs it)', ({ it, before, after }) => {
  it('draws every chart: each data series shows up in its colour, in a screenshot', async () => {
    const dir = tempDir('html')
    const { folder } = await writeSyntheticReport('html-run', syntheticRun(6_000, 30, 11), dir, ['e2e.p99<100ms', 'recall>0.5'])
    const html = readFileSync(join(folder, 'report.html'), 'utf8')
    assert.doesNotMatch(html, /<script|https?:\/\/(?!fraudlab\.dev)[^"]*\.(js|css)/, 'self-contained: no script, no remote asset')
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? ''
    const charts = [...html.matchAll(/<svg class="chart" data-chart="([^"]+)"[\s\S]*?<\/svg>/g)].map((m) => ({ name: m[1], svg: m[0] }))
    assert.deepEqual(charts.map((c) => c.name), ['throughput', 'latency-over-time', 'latency-breakdown', 'pr-curve', 'detection-over-time', 'archetypes', 'time-to-detect'])

    // Each chart in its own band, legend keys hidden, so a colour found in a band was drawn by that chart's data.
    const page = join(dir, 'charts.html')
    writeFileSync(page, `<!doctype html><html><head><style>${style} body{margin:0;padding:0;max-width:none} .band{height:${BAND}px;overflow:hidden} .legend-key{display:none}</style></head><body>${charts.map((c) => `<div class="band">${c.svg}</div>`).join('')}</body></html>`)
    const png = await screenshot(page, join(dir, 'charts.png'), WIDTH, BAND * charts.length)
    charts.forEach((chart, k) => {
      const colors = new Set([...chart.svg.matchAll(/class="mark"[^>]*?(?:stroke|fill)="(#[0-9a-f]{6})"/g)].map((m) => m[1]))
      assert.ok(colors.size > 0, `${chart.name} has data marks`)
      for (const color of colors) {
        const pixels = countColor(png, k * BAND, (k + 1) * BAND, color)
        assert.ok(pixels >= 20, `${chart.name}: ${color} drawn (${pixels} pixels)`)
      }
    })

    // The whole page renders too (tall, and mostly not blank).
    const full = await screenshot(join(folder, 'report.html'), join(dir, 'report.png'), 1400, 2400)
    let ink = 0
    for (let i = 0; i < full.data.length; i += 4) if (full.data[i] < 200 || full.data[i + 1] < 200 || full.data[i + 2] < 200) ink++
    assert.ok(ink / (full.width * full.height) > 0.02, `the page has content (${ink} dark pixels)`)
  })

  it('shows "no data" rather than an empty frame when a run has nothing to chart', async () => {
    const dir = tempDir('html-empty')
    const { folder } = await writeSyntheticReport('empty-run', [], dir)
    const html = readFileSync(join(folder, 'report.html'), 'utf8')
    assert.match(html, /data-chart="throughput"[^>]*>.*?no data/)
    assert.match(html, /This run had no fraudulent transactions/)
  })
})
