#!/usr/bin/env node
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
  reexecUnderSuitableNode([new URL(import.meta.url).pathname, ...process.argv.slice(2)])
}
