// Offline generation rate: a scenario's labelled transactions written to a file, in one process
// (one core for the JavaScript; the file system writes go to libuv's pool). This machine's timings
// vary by ±10% from run to run, so each figure is the median of several repetitions, with its range.
//   npm run bench:generate -- [count] [scenario] [repetitions]
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { exportLabelled, type ExportFormat } from '../src/export/labelled-export.js'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import { tempDir } from '../test/helpers.js'

const count = Number(process.argv[2] ?? 500_000)
const scenarioName = process.argv[3] ?? 'mixed'
const repetitions = Number(process.argv[4] ?? 5)
const { scenario } = loadScenario(scenarioName)
const dir = tempDir('bench-generate')

async function rate(run: () => Promise<void> | void): Promise<string> {
  const rates: number[] = []
  for (let i = 0; i < repetitions; i++) {
    const started = performance.now()
    await run()
    rates.push(count / ((performance.now() - started) / 1000))
  }
  rates.sort((a, b) => a - b)
  const k = (value: number) => `${Math.round(value / 1000)}k`
  return `${k(rates[Math.floor(rates.length / 2)]).padStart(6)} tx/s median (${k(rates[0])}–${k(rates.at(-1)!)})`
}

console.log(`fraudlab generation benchmark: ${count.toLocaleString('en-US')} transactions of ${scenarioName} × ${repetitions}, node ${process.versions.node}`)
console.log(`in memory (no serialisation)  ${await rate(() => {
  const simulator = new ScenarioSimulator(scenario, { seed: 1 })
  for (let i = 0; i < count; i++) simulator.next()
})}`)
for (const format of ['ndjson', 'csv'] as ExportFormat[]) {
  const path = join(dir, `out.${format}`)
  const figure = await rate(async () => {
    await exportLabelled(new ScenarioSimulator(scenario, { seed: 1 }), { count, path, format })
  })
  rmSync(path)
  console.log(`to a ${format.padEnd(6)} file            ${figure}   (target ≥ 200k)`)
}
