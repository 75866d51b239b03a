import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { finished } from 'node:stream/promises'
import { basename, dirname, join } from 'node:path'
import { instantiatePlan, type RunPlan } from '../run/run-plan.js'
import { renderK6Script, type K6Row } from './k6-script.js'
import { makeDirectory } from '../util/writable-path.js'

/** Rows in the data file at most; a longer test cycles through them (k6 holds them all in memory). */
export const MAX_K6_ROWS = 1_000_000

export interface WrittenK6Test {
  script: string
  data: string
  rows: number
  frauds: number
}

/** Writes the k6 script and, beside it, its data file of pre-generated labelled transactions. */
export async function writeK6Test(plan: RunPlan, out: string, options: { batchSize: number; defaultUrl: string }): Promise<WrittenK6Test> {
  const dataName = `${basename(out).replace(/\.(m?js)$/, '')}.data.json`
  const data = join(dirname(out), dataName)
  const count = Math.min(MAX_K6_ROWS, Math.max(options.batchSize, Math.ceil(plan.expectedTransactions)))
  const { source } = instantiatePlan(plan, `k6-${plan.seed}`)
  await makeDirectory(dirname(out), { what: '--out', hint: 'Choose a folder you can write to for --out.' })
  // Streamed a row at a time: a million rows must not sit in the CLI's small heap at once.
  const file = createWriteStream(data)
  let frauds = 0
  const archetypes = new Set<string>()
  file.write('[')
  for (let i = 0; i < count; i++) {
    const { transaction, label } = source.next()
    if (label.isFraud) {
      frauds++
      archetypes.add(label.archetype)
    }
    const row: K6Row = { transaction, isFraud: label.isFraud, archetype: label.archetype }
    if (!file.write(`${i ? ',\n' : '\n'}${JSON.stringify(row)}`)) await once(file, 'drain')
  }
  file.end('\n]\n')
  await finished(file)
  await writeFile(out, renderK6Script(plan, { dataFile: `./${dataName}`, batchSize: options.batchSize, defaultUrl: options.defaultUrl, archetypes: [...archetypes].sort() }))
  return { script: out, data, rows: count, frauds }
}
