import { writeFileSync } from 'node:fs'
import { z } from 'zod'
import { DecisionSchema } from './decision.js'
import { TransactionSchema } from './transaction.js'

/**
 * The scorer contract as JSON Schema, generated from the zod schemas that validate both sides
 * (`npm run schema:contract`; a test keeps the committed files equal to these).
 */
export const CONTRACT_SCHEMAS = {
  'docs/contract/transaction.schema.json': { schema: TransactionSchema, title: 'fraudlab transaction record (what a scorer reads from the transactions stream)' },
  'docs/contract/decision.schema.json': { schema: DecisionSchema, title: 'fraudlab decision record (what a scorer writes to the decisions stream)' },
} as const

export function renderContractSchema(path: keyof typeof CONTRACT_SCHEMAS): string {
  const { schema, title } = CONTRACT_SCHEMAS[path]
  const json = { ...z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }), $id: `https://fraudlab.dev/schemas/${path.slice(path.lastIndexOf('/') + 1)}`, title }
  return JSON.stringify(json, null, 2) + '\n'
}

if (process.argv[1]?.endsWith('contract-schemas.js')) {
  for (const path of Object.keys(CONTRACT_SCHEMAS) as Array<keyof typeof CONTRACT_SCHEMAS>) {
    writeFileSync(path, renderContractSchema(path))
    process.stdout.write(`wrote ${path}\n`)
  }
}
