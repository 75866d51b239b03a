import { writeFileSync } from 'node:fs'
import { summaryJsonSchema } from './summary-schema.js'

/** `npm run schema:summary`: writes reports/summary.schema.json from the zod schema (a test keeps them equal). */
export const SUMMARY_SCHEMA_PATH = 'reports/summary.schema.json'

export function renderSummaryJsonSchema(): string {
  return JSON.stringify(summaryJsonSchema(), null, 2) + '\n'
}

if (process.argv[1]?.endsWith('write-summary-schema.js')) {
  writeFileSync(SUMMARY_SCHEMA_PATH, renderSummaryJsonSchema())
  process.stdout.write(`wrote ${SUMMARY_SCHEMA_PATH}\n`)
}
