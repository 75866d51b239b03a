#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-old-space-size=2048 --max-semi-space-size=4
// The flags above are for this process only (the scorer and the Kinesis emulator have their own).
// A run allocates fast and keeps little (its ledger is bounded; a forced GC mid-replay left 32 MB
// of heap). The old-space cap guards against a leak without making V8 collect too often: V8 grows
// the heap by a smaller factor under a smaller cap, and at 10,000/s a 160 MB cap doubled this
// process' CPU per transaction (99 against 49 µs, `npm run bench:e2e -- 30 10000`), while 2 GB
// costs nothing measurable. A small young generation makes each scavenge short (the load generator
// lives here: a 10 ms pause is 10 ms of lag for what is due). Few malloc arenas keep the resident
// set close to the heap.
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
  reexecUnderSuitableNode(['--max-old-space-size=2048', '--max-semi-space-size=4', new URL(import.meta.url).pathname, ...process.argv.slice(2)])
}
