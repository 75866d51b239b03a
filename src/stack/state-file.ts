import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ProvisionedResources } from './provision.js'

export const EMULATOR_SERVICES = ['kinesis', 'dynamodb', 'sns'] as const
export type EmulatorService = (typeof EMULATOR_SERVICES)[number]

export interface ServiceRecord {
  service: EmulatorService
  implementation: string
  pid: number
  endpoint: string
  /** The embedded Kinesis' SubscribeToShard endpoint (HTTP/2 cleartext). */
  fanOutEndpoint?: string
  logFile?: string
}

/** What `fraudlab stack up` started, so that other commands find it and `down` stops only it. */
export interface StackState {
  version: 1
  target: 'embedded'
  startedAt: string
  region: string
  services: ServiceRecord[]
  resources: ProvisionedResources
  /** Opens the emulators' control path (limits and faults): the file is readable by its owner only. */
  controlToken?: string
}

/** `FRAUDLAB_STATE_DIR`, else `.fraudlab` in the working directory. */
export function defaultStateDir(): string {
  return resolve(process.env.FRAUDLAB_STATE_DIR ?? '.fraudlab')
}

export function stateFilePath(stateDir: string): string {
  return join(stateDir, 'stack.json')
}

export async function readStackState(stateDir: string): Promise<StackState | undefined> {
  let text: string
  try {
    text = await readFile(stateFilePath(stateDir), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const state = JSON.parse(text) as StackState
  if (state.version !== 1 || !Array.isArray(state.services)) {
    throw new Error(`${stateFilePath(stateDir)} is not a fraudlab stack state file (version ${String(state.version)})`)
  }
  return state
}

export async function writeStackState(stateDir: string, state: StackState): Promise<void> {
  await mkdir(stateDir, { recursive: true })
  const temporary = `${stateFilePath(stateDir)}.${process.pid}.tmp`
  await writeFile(temporary, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
  await rename(temporary, stateFilePath(stateDir))
}

export async function removeStackState(stateDir: string): Promise<void> {
  await rm(stateFilePath(stateDir), { force: true })
}

/**
 * True only if `pid` is alive and is one of our emulator hosts, so that a pid the kernel reused
 * for another program is never taken for (or killed as) ours.
 */
export function isOurEmulator(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    // A zombie (exited, not yet reaped) still answers kill(pid, 0) but has an empty command line.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('emulator-host')
  } catch {
    return true // no /proc (macOS): the pid is alive; trust the state file
  }
}
