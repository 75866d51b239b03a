#!/usr/bin/env node
import { nodeIsRecentEnough, reexecUnderSuitableNode } from './node-gate.js'

if (nodeIsRecentEnough()) {
  const { execute } = await import('@oclif/core')
  await execute({ dir: import.meta.url })
} else {
  reexecUnderSuitableNode([new URL(import.meta.url).pathname, ...process.argv.slice(2)])
}
