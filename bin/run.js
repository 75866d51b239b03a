#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// The flags above are for this process only (emulators and the scorer keep V8's defaults): a run
// allocates fast and keeps little (its ledger is bounded), so a small young generation and few
// malloc arenas keep its resident memory from filling with garbage. Measured on a 300k-row
// replay: peak RSS 382 MB without them, 250 MB with them.
import { nodeIsRecentEnough, reexecUnderSuitableNode } from './node-gate.js'

// `fraudlab … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

if (nodeIsRecentEnough()) {
  const { execute } = await import('@oclif/core')
  await execute({ dir: import.meta.url })
} else {
  reexecUnderSuitableNode(['--max-semi-space-size=4', new URL(import.meta.url).pathname, ...process.argv.slice(2)])
}
