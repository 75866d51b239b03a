#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --max-old-space-size=160
// The flags above are for this process only (the scorer keeps V8's defaults; the Kinesis emulator has its own): a run
// allocates fast and keeps little (its ledger is bounded; a forced GC mid-replay left 32 MB of
// heap), so a small young generation, an old-space limit and few malloc arenas make V8 collect
// before garbage fills memory. 200k-row replay at 3,000/s: peak RSS 234 MB with the first two
// flags only, 151 MB with a 128 MB old space (p99 latency +20%); 160 MB is the middle ground.
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
  reexecUnderSuitableNode(['--max-semi-space-size=4', '--max-old-space-size=160', new URL(import.meta.url).pathname, ...process.argv.slice(2)])
}
