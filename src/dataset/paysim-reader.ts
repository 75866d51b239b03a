import { UserError } from '../errors/user-error.js'
import { readLines, splitCsvLine, type ReadProgress } from './line-reader.js'
import { checkHeader, parseRow, PAYSIM_COLUMNS, type RowResult } from './paysim-format.js'

export type { ReadProgress }

/**
 * Streams a PaySim CSV (or .csv.gz) as batches of validated rows, one batch per chunk of the
 * file. Lines without quotes (all of PaySim's) are split directly, which is several times faster;
 * any line with a quote goes to csv-parse, so quoted fields are read as RFC 4180 says.
 */
export async function* readPaysim(path: string, options: { signal?: AbortSignal; onProgress?: (progress: ReadProgress) => void } = {}): AsyncGenerator<RowResult[]> {
  let headerChecked = false
  const lines = readLines(path, { ...options, missingHint: 'Check the path. The full PaySim file is PS_20174392719_1491204439457_log.csv (see datasets/README.md).' })
  for await (const { lines: texts, firstLine } of lines) {
    const batch: RowResult[] = []
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]
      if (!headerChecked) {
        headerChecked = true
        const problem = checkHeader(splitCsvLine(text))
        if (problem) throw new UserError(`${path}:1: not a PaySim header: ${problem}.`, { hint: `The first line must be: ${PAYSIM_COLUMNS.join(',')}` })
        continue
      }
      if (text === '') continue
      batch.push(parseRow(splitCsvLine(text), firstLine + i))
    }
    if (batch.length) yield batch
  }
  if (!headerChecked) throw new UserError(`${path} is empty.`, { hint: 'Give a PaySim CSV with its header line.' })
}
