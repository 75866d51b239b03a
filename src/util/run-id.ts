import { randomBytes } from 'node:crypto'

/** A sortable, unique run id: `20261122-184501-3fa9`. Transaction ids start with it. */
export function newRunId(at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${stamp}-${randomBytes(2).toString('hex')}`
}
