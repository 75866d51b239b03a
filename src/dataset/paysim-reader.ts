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
      const line = firstLine + i
      if (!headerChecked) {
        headerChecked = true
        const header = fieldsOf(text)
        const problem = 'error' in header ? header.error : checkHeader(header.fields)
        if (problem) throw new UserError(`${path}:1: not a PaySim header: ${problem}.`, { hint: `The first line must be: ${PAYSIM_COLUMNS.join(',')}` })
        continue
      }
      if (text === '') continue
      const row = fieldsOf(text)
      batch.push('error' in row ? { ok: false, line, reason: row.error } : parseRow(row.fields, line))
    }
    if (batch.length) yield batch
  }
  if (!headerChecked) throw new UserError(`${path} is empty.`, { hint: 'Give a PaySim CSV with its header line.' })
}

/** A line's fields, or why it cannot be split (an unterminated quote): a bad row like any other, at its own line. */
function fieldsOf(text: string): { fields: string[] } | { error: string } {
  try {
    return { fields: splitCsvLine(text) }
  } catch (error) {
    return { error: csvProblem(error) }
  }
}

/** csv-parse's reason without its own position: it parses one line at a time, so its "line 1" is not the file's. */
function csvProblem(error: unknown): string {
  const code = (error as { code?: string }).code
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted field is not closed (a " with no matching ")'
  return `not valid CSV (${String((error as Error).message).replace(/\s*at line \d+\.?$/, '')})`
}
