import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EMULATOR_CREDENTIALS, type AwsEndpoints } from '../aws/endpoints.js'
import { CONTROL_TOKEN_ENV, newControlToken } from './emulator-control.js'
import { READY_MARKER } from './emulator-protocol.js'
import { EMULATOR_SERVICES, isOurEmulator, type EmulatorService, type ServiceRecord } from './state-file.js'

const HOST_SCRIPT = fileURLToPath(new URL('./emulator-host.js', import.meta.url))
/**
 * The in-memory Kinesis keeps at most 128 MB of records, in buffers outside the V8 heap
 * (`record-log.ts`). A capped old space keeps V8 from growing the heap far past what it holds, and
 * a small young generation keeps each pause short: the emulator is on every record's path.
 */
const V8_FLAGS: Partial<Record<EmulatorService, string[]>> = { kinesis: ['--max-old-space-size=384', '--max-semi-space-size=4'] }

const IMPLEMENTATION: Record<EmulatorService, string> = { kinesis: 'fraudlab-kinesis', dynamodb: 'dynalite', sns: 'fraudlab-sns' }
export const EMBEDDED_REGION = 'us-east-1'

export interface StartEmbeddedOptions {
  /** Detached services outlive this process (`stack up`); attached ones die with it (a run's own). */
  detached: boolean
  /** Where detached services write their logs. */
  logDir?: string
  startTimeoutMs?: number
}

/** The three emulator processes of one embedded stack. */
export class EmbeddedStack {
  private readonly exitListeners = new Set<(service: ServiceRecord, code: number | null, signal: NodeJS.Signals | null) => void>()
  private stopping = false

  constructor(
    readonly services: ServiceRecord[],
    private readonly children: ChildProcess[],
    /** Opens the emulators' control path (limits and faults); kept in the state file for the runs. */
    readonly controlToken: string,
  ) {
    children.forEach((child, i) =>
      child.on('exit', (code, signal) => {
        if (!this.stopping) for (const listener of this.exitListeners) listener(services[i], code, signal)
      }),
    )
  }

  endpoints(): AwsEndpoints {
    return embeddedEndpoints(this.services)
  }

  /** Called when a service dies while the stack is meant to be up. */
  onUnexpectedExit(listener: (service: ServiceRecord, code: number | null, signal: NodeJS.Signals | null) => void): () => void {
    this.exitListeners.add(listener)
    return () => this.exitListeners.delete(listener)
  }

  async stop(): Promise<void> {
    this.stopping = true
    await Promise.all(this.children.map((child) => stopChild(child)))
  }

  /** Lets this process exit while detached services keep running. */
  detach(): void {
    for (const child of this.children) {
      child.stdout?.destroy()
      child.unref()
    }
  }
}

export function embeddedEndpoints(services: ServiceRecord[]): AwsEndpoints {
  const endpoint = (service: EmulatorService) => services.find((s) => s.service === service)?.endpoint
  return {
    target: 'embedded',
    region: EMBEDDED_REGION,
    kinesis: endpoint('kinesis'),
    kinesisFanOut: services.find((s) => s.service === 'kinesis')?.fanOutEndpoint,
    dynamodb: endpoint('dynamodb'),
    sns: endpoint('sns'),
    credentials: EMULATOR_CREDENTIALS,
  }
}

/** Starts fraudlab's Kinesis, dynalite and the SNS endpoint, each in its own process on a free loopback port. */
export async function startEmbeddedStack(options: StartEmbeddedOptions): Promise<EmbeddedStack> {
  if (options.logDir) mkdirSync(options.logDir, { recursive: true })
  const controlToken = newControlToken()
  const started = await Promise.allSettled(EMULATOR_SERVICES.map((service) => startService(service, options, controlToken)))
  const failures = started.filter((result) => result.status === 'rejected')
  if (failures.length) {
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? stopChild(result.value.child) : undefined)))
    throw (failures[0] as PromiseRejectedResult).reason
  }
  const ok = started.map((result) => (result as PromiseFulfilledResult<{ record: ServiceRecord; child: ChildProcess }>).value)
  return new EmbeddedStack(
    ok.map((s) => s.record),
    ok.map((s) => s.child),
    controlToken,
  )
}

async function startService(service: EmulatorService, options: StartEmbeddedOptions, controlToken: string): Promise<{ record: ServiceRecord; child: ChildProcess }> {
  const logFile = options.logDir ? join(options.logDir, `${service}.log`) : undefined
  const logFd = logFile ? openSync(logFile, 'a') : undefined
  const { MALLOC_ARENA_MAX: _cliOnly, ...env } = process.env
  const child = spawn(process.execPath, [...(V8_FLAGS[service] ?? []), HOST_SCRIPT, service], {
    env: { ...env, [CONTROL_TOKEN_ENV]: controlToken },
    detached: options.detached,
    stdio: ['ignore', 'pipe', logFd ?? 'pipe', ...(options.detached ? [] : ['ipc' as const])],
  })
  if (logFd !== undefined) closeSync(logFd)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)))
  const { port, efoPort } = await new Promise<{ port: number; efoPort?: number }>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => fail(new Error(`${IMPLEMENTATION[service]} did not start within ${options.startTimeoutMs ?? 20_000}ms`)), options.startTimeoutMs ?? 20_000)
    function fail(error: Error) {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const line = stdout.split('\n').find((l) => l.startsWith(READY_MARKER))
      if (!line) return
      clearTimeout(timer)
      resolve(JSON.parse(line.slice(READY_MARKER.length)) as { port: number; efoPort?: number })
    })
    child.once('exit', (code, signal) =>
      fail(new Error(`${IMPLEMENTATION[service]} exited before it was ready (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`)),
    )
    child.once('error', fail)
  })
  child.removeAllListeners('exit')
  child.stdout!.resume()
  return {
    child,
    record: { service, implementation: IMPLEMENTATION[service], pid: child.pid!, endpoint: `http://127.0.0.1:${port}`, ...(efoPort ? { fanOutEndpoint: `http://127.0.0.1:${efoPort}` } : {}), logFile },
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
  await exited
  clearTimeout(timer)
}

/** Stops services recorded in a state file (started by another process), and only those. */
export async function stopRecordedServices(services: ServiceRecord[], timeoutMs = 5_000): Promise<ServiceRecord[]> {
  const ours = services.filter((s) => isOurEmulator(s.pid))
  for (const service of ours) process.kill(service.pid, 'SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (ours.some((s) => isOurEmulator(s.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  for (const service of ours) if (isOurEmulator(service.pid)) process.kill(service.pid, 'SIGKILL')
  return ours
}
