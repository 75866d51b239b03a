import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { REPO_ROOT } from './helpers.js'

/** A moto server (PyPI's AWS emulator, not written by fraudlab) for conformance tests; tests only. */
export interface MotoServer {
  url: string
  stop(): Promise<void>
}

const ONE_REQUEST_AT_A_TIME = join(REPO_ROOT, 'test', 'moto-one-kinesis-request-at-a-time.py')

/**
 * How to start moto here, or why it cannot be (the tests then skip with that reason). `command`
 * serves one Kinesis request at a time (see test/moto-one-kinesis-request-at-a-time.py: moto loses Kinesis records
 * under concurrent writes); `threadedCommand` is moto's own server, for the test that shows why.
 */
export function motoCommand(): { command: string[]; threadedCommand: string[]; version: string } | { missing: string } {
  for (const python of ['python3', 'python']) {
    const probe = spawnSync(python, ['-c', 'import moto.server, flask; print(moto.__version__)'], { encoding: 'utf8' })
    if (probe.status === 0) return { command: [python, ONE_REQUEST_AT_A_TIME], threadedCommand: [python, '-m', 'moto.server'], version: probe.stdout.trim() }
  }
  return { missing: "moto's server is not installed (pip install 'moto[server]'; .ci/run installs it)" }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function startMoto(command: string[]): Promise<MotoServer> {
  const port = await freePort()
  const child: ChildProcess = spawn(command[0], [...command.slice(1), '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited (${child.exitCode}): ${stderr}`)
    try {
      await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1_000) })
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`moto did not answer at ${url}: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** The environment that sends the unmodified SDK's AWS calls (target aws) to moto. */
export function awsEnvFor(moto: MotoServer): Record<string, string> {
  return { AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' }
}
