// Child-process entry: runs one emulator on a free loopback port and reports the port on stdout.
// Listening on port 0 lets the kernel pick a free port, so a port in use is never a problem.
import { createRequire } from 'node:module'
import type { Server } from 'node:http'
import { SnsEmulator } from './sns/sns-emulator.js'

import { READY_MARKER } from './emulator-protocol.js'
const require = createRequire(import.meta.url)

async function main(kind: string | undefined): Promise<void> {
  let close: () => Promise<void>
  let port: number
  if (kind === 'kinesis' || kind === 'dynamodb') {
    const server: Server =
      kind === 'kinesis'
        ? require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1_000 })
        : require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    server.keepAliveTimeout = 65_000
    port = (server.address() as { port: number }).port
    close = () => new Promise((resolve) => server.close(() => resolve()))
  } else if (kind === 'sns') {
    const sns = new SnsEmulator()
    port = await sns.listen(0)
    close = () => sns.close()
  } else {
    process.stderr.write(`emulator-host: unknown emulator "${kind}" (expected kinesis, dynamodb or sns)\n`)
    process.exit(2)
  }
  process.stdout.write(`${READY_MARKER}${JSON.stringify({ port })}\n`)
  const stop = () => void close().finally(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // Started with an IPC channel by a run that owns it: die with the parent, never linger.
  if (process.send) process.on('disconnect', stop)
}

void main(process.argv[2])
