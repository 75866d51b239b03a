// PaySim figures: generation rate of PaySim-format rows, and the replay reader's parse rate
// (header check, row validation, no pipeline) on a generated file. Medians over repetitions.
//   npm run bench:paysim -- [rows] [repetitions]
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { PaysimGenerator } from '../src/dataset/paysim-generator.js'
import { readPaysim } from '../src/dataset/paysim-reader.js'
import { tempDir } from '../test/helpers.js'

const rows = Number(process.argv[2] ?? 1_000_000)
const repetitions = Number(process.argv[3] ?? 5)
const path = join(tempDir('bench-paysim'), 'paysim.csv')

function median(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b)
  const k = (v: number) => `${Math.round(v / 1000)}k`
  return `${k(sorted[Math.floor(sorted.length / 2)]).padStart(6)} rows/s median (${k(sorted[0])}–${k(sorted.at(-1)!)})`
}

console.log(`fraudlab PaySim benchmark: ${rows.toLocaleString('en-US')} rows × ${repetitions}, node ${process.versions.node}`)
const generation: number[] = []
for (let i = 0; i < repetitions; i++) {
  const started = performance.now()
  await new PaysimGenerator(rows, 1).writeTo(path)
  generation.push(rows / ((performance.now() - started) / 1000))
}
console.log(`generate to CSV   ${median(generation)}`)
const parse: number[] = []
for (let i = 0; i < repetitions; i++) {
  const started = performance.now()
  let valid = 0
  for await (const batch of readPaysim(path)) for (const result of batch) if (result.ok) valid++
  if (valid !== rows) throw new Error(`parsed ${valid} of ${rows} rows`)
  parse.push(rows / ((performance.now() - started) / 1000))
}
console.log(`parse + validate  ${median(parse)}   (target ≥ 500k)`)
rmSync(path)
