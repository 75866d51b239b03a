import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { finished } from 'node:stream/promises'
import { basename, dirname, join } from 'node:path'
import { instantiatePlan, type RunPlan } from '../run/run-plan.js'
import { renderK6Script, type K6Batch, type K6Row } from './k6-script.js'
import { makeDirectory } from '../util/writable-path.js'

/** Rows in the data file at most; a longer test cycles through them (k6 holds them all in memory). */
export const MAX_K6_ROWS = 1_000_000

export interface WrittenK6Test {
  script: string
  data: string
  /** Batches only: the requests' bodies, back to back. */
  bodies?: string
  rows: number
  frauds: number
}

/**
 * Writes the k6 script and, beside it, its data: single requests, a file of labelled transactions;
 * batches, the requests' bodies (FILE.bodies) and a file saying where each is, with its labels.
 */
export async function writeK6Test(plan: RunPlan, out: string, options: { batchSize: number; defaultUrl: string }): Promise<WrittenK6Test> {
  const stem = basename(out).replace(/\.(m?js)$/, '')
  const dataName = `${stem}.data.json`
  const bodiesName = `${stem}.bodies`
  const data = join(dirname(out), dataName)
  const bodies = join(dirname(out), bodiesName)
  const count = Math.min(MAX_K6_ROWS, Math.max(options.batchSize, Math.ceil(plan.expectedTransactions)))
  const { source } = instantiatePlan(plan, `k6-${plan.seed}`)
  await makeDirectory(dirname(out), { what: '--out', hint: 'Choose a folder you can write to for --out.' })
  let frauds = 0
  const archetypes = new Set<string>()
  const rows = (function* (): Generator<K6Row> {
    for (let i = 0; i < count; i++) {
      const { transaction, label } = source.next()
      if (label.isFraud) {
        frauds++
        archetypes.add(label.archetype)
      }
      yield { transaction, isFraud: label.isFraud, archetype: label.archetype }
    }
  })()
  const batched = options.batchSize > 1
  if (batched) await writeBatches(rows, options.batchSize, data, bodies)
  else await writeRows(rows, data)
  const script = renderK6Script(plan, {
    dataFile: `./${dataName}`,
    ...(batched ? { bodiesFile: `./${bodiesName}` } : {}),
    batchSize: options.batchSize,
    defaultUrl: options.defaultUrl,
    archetypes: [...archetypes].sort(),
  })
  await writeFile(out, script)
  return { script: out, data, ...(batched ? { bodies } : {}), rows: count, frauds }
}

/** Streamed a row at a time: a million rows must not sit in the CLI's small heap at once. */
async function writeRows(rows: Iterable<K6Row>, data: string): Promise<void> {
  const file = createWriteStream(data)
  let first = true
  file.write('[')
  for (const row of rows) {
    if (!file.write(`${first ? '\n' : ',\n'}${JSON.stringify(row)}`)) await once(file, 'drain')
    first = false
  }
  file.end('\n]\n')
  await finished(file)
}

/**
 * Each request's body, as the server receives it, back to back in one file, and per request its
 * offset and length in bytes and its transactions' labels. The last request takes what it lacks
 * from the first rows, so that every request holds `batchSize` transactions.
 */
async function writeBatches(rows: Iterable<K6Row>, batchSize: number, data: string, bodies: string): Promise<void> {
  const bodyFile = createWriteStream(bodies)
  const indexFile = createWriteStream(data)
  const firstRows: K6Row[] = []
  let batch: K6Row[] = []
  let offset = 0
  let requests = 0
  const flush = async () => {
    const body = Buffer.from(`{"transactions":[${batch.map((row) => JSON.stringify(row.transaction)).join(',')}]}`)
    const entry: K6Batch = [offset, body.length, batch.map((row) => (row.isFraud ? row.archetype : ''))]
    offset += body.length
    bodyFile.write(body)
    indexFile.write(`${requests++ ? ',\n' : '[\n'}${JSON.stringify(entry)}`)
    // Checked again after the first wait: the other file may have drained meanwhile.
    if (bodyFile.writableNeedDrain) await once(bodyFile, 'drain')
    if (indexFile.writableNeedDrain) await once(indexFile, 'drain')
    batch = []
  }
  for (const row of rows) {
    if (firstRows.length < batchSize) firstRows.push(row)
    batch.push(row)
    if (batch.length === batchSize) await flush()
  }
  if (batch.length) {
    for (let i = 0; batch.length < batchSize; i++) batch.push(firstRows[i % firstRows.length])
    await flush()
  }
  bodyFile.end()
  indexFile.end('\n]\n')
  await Promise.all([finished(bodyFile), finished(indexFile)])
}
