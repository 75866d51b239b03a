// Offline generation rate: a scenario's labelled transactions written to a file, in one process
// (one core for the JavaScript; the file system writes go to libuv's pool).
//   npm run bench:generate -- [count] [scenario]
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { exportLabelled, type ExportFormat } from '../src/export/labelled-export.js'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import { tempDir } from '../test/helpers.js'

const count = Number(process.argv[2] ?? 1_000_000)
const scenarioName = process.argv[3] ?? 'mixed'
const { scenario } = loadScenario(scenarioName)
const dir = tempDir('bench-generate')

console.log(`fraudlab generation benchmark: ${count.toLocaleString('en-US')} transactions of ${scenarioName}, node ${process.versions.node}`)
{
  const simulator = new ScenarioSimulator(scenario, { seed: 1 })
  const started = performance.now()
  for (let i = 0; i < count; i++) simulator.next()
  const seconds = (performance.now() - started) / 1000
  console.log(`in memory (no serialisation)  ${Math.round(count / seconds).toLocaleString('en-US').padStart(10)} tx/s`)
}
for (const format of ['ndjson', 'csv'] as ExportFormat[]) {
  const path = join(dir, `out.${format}`)
  const started = performance.now()
  await exportLabelled(new ScenarioSimulator(scenario, { seed: 1 }), { count, path, format })
  const seconds = (performance.now() - started) / 1000
  console.log(`to a ${format.padEnd(6)} file            ${Math.round(count / seconds).toLocaleString('en-US').padStart(10)} tx/s   (target ≥ 200,000)`)
  rmSync(path)
}
