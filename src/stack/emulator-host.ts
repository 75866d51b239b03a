// Child-process entry: runs one emulator on a free loopback port and reports the port on stdout.
// Listening on port 0 lets the kernel pick a free port, so a port in use is never a problem.
import { createRequire } from 'node:module'
import type { Server } from 'node:http'
import { AwsFront, HttpBackend, type FrontFaults } from './front/aws-front.js'
import { AWS_FAN_OUT, FanOutServer } from './kinesis/fan-out-server.js'
import { KinesisEngineBackend } from './kinesis/kinesis-backend.js'
import { KinesisEngine } from './kinesis/kinesis-engine.js'
import { SnsEmulator } from './sns/sns-emulator.js'

import { READY_MARKER } from './emulator-protocol.js'
import { CONTROL_TOKEN_ENV } from './emulator-control.js'
const require = createRequire(import.meta.url)

async function main(kind: string | undefined): Promise<void> {
  const token = process.env[CONTROL_TOKEN_ENV]
  delete process.env[CONTROL_TOKEN_ENV]
  let close: () => Promise<void>
  let port: number
  let efoPort: number | undefined
  if (kind === 'kinesis') {
    // fraudlab's own in-memory Kinesis, in this process behind the front that adds AWS' limits and faults,
    // and its enhanced fan-out (SubscribeToShard over HTTP/2) on a second port.
    const engine = new KinesisEngine()
    const fanOut = new FanOutServer(engine)
    const front = new AwsFront('kinesis', new KinesisEngineBackend(engine), initialFaults(kind), token, (faults) => (fanOut.settings = { ...AWS_FAN_OUT, ...faults.fanOut }))
    port = await front.listen(0)
    efoPort = await fanOut.listen(0)
    close = async () => {
      await fanOut.close()
      await front.close()
    }
  } else if (kind === 'dynamodb') {
    const server: Server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    server.keepAliveTimeout = 65_000
    // Clients reach the emulator through a front that adds injected faults.
    const front = new AwsFront(kind, new HttpBackend((server.address() as { port: number }).port), initialFaults(kind), token)
    port = await front.listen(0)
    close = async () => {
      await front.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  } else if (kind === 'sns') {
    const sns = new SnsEmulator({ controlToken: token })
    port = await sns.listen(0)
    close = () => sns.close()
  } else {
    process.stderr.write(`emulator-host: unknown emulator "${kind}" (expected kinesis, dynamodb or sns)\n`)
    process.exit(2)
  }
  process.stdout.write(`${READY_MARKER}${JSON.stringify({ port, efoPort })}\n`)
  const stop = () => void close().finally(() => process.exit(0))
  process.on('SIGTERM', stop)
  if (process.send) {
    // Started with an IPC channel by a run that owns it: die with the parent, never linger. A
    // terminal's Ctrl-C or hang-up reaches the whole process group, this process too: the run
    // drains first, then stops it.
    process.on('disconnect', stop)
    process.on('SIGINT', () => {})
    process.on('SIGHUP', () => {})
  } else process.on('SIGINT', stop)
}

/** The front's starting faults: Kinesis' limits on, nothing injected; each run sets its own through the control path. */
function initialFaults(kind: 'kinesis' | 'dynamodb'): FrontFaults {
  return { limits: kind === 'kinesis', throttle: 0, latencyMs: 0, seed: 1 }
}

void main(process.argv[2])
