import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EXIT_CODES } from '../errors/exit-codes.js'
import { UserError } from '../errors/user-error.js'

/** The LocalStack image `stack up --target localstack` starts (the compose file uses the same). */
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.4'

/** A LocalStack container fraudlab started, recorded so that other commands find it and `down` stops it. */
export interface LocalStackRecord {
  version: 1
  containerId: string
  endpoint: string
  image: string
  startedAt: string
}

const recordPath = (stateDir: string) => join(stateDir, 'localstack.json')

export async function readLocalStackRecord(stateDir: string): Promise<LocalStackRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(recordPath(stateDir), 'utf8')) as LocalStackRecord
    return record.version === 1 && typeof record.endpoint === 'string' ? record : undefined
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** What fraudlab uses of testcontainers and its LocalStack module. */
interface Testcontainers {
  testcontainers: {
    getContainerRuntimeClient(): Promise<{
      container: {
        getById(id: string): unknown
        stop(container: unknown, options: { timeout: number }): Promise<void>
        remove(container: unknown, options: { removeVolumes: boolean }): Promise<void>
      }
    }>
  }
  localstack: {
    LocalstackContainer: new (image: string) => {
      withEnvironment(environment: Record<string, string>): { start(): Promise<{ getId(): string; getConnectionUri(): string }> }
    }
  }
}

/** Said when the optional dependency that starts containers is not installed. */
export const TESTCONTAINERS_MISSING = 'testcontainers, an optional dependency, is not installed'

/**
 * testcontainers and its LocalStack module are optional dependencies: only starting LocalStack
 * needs them, and npm leaves them out with --omit=optional, or when its own node is older than
 * they require. Undefined when they are not installed.
 */
async function loadTestcontainers(): Promise<Testcontainers | undefined> {
  // Named through variables: the build must not need them either (their types come with them).
  const [core, localstack] = ['testcontainers', '@testcontainers/localstack']
  try {
    return { testcontainers: (await import(core)) as Testcontainers['testcontainers'], localstack: (await import(localstack)) as Testcontainers['localstack'] }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined
    throw error
  }
}

/** Why no container can be started here, or undefined when a Docker engine answers. */
export async function dockerUnavailableReason(): Promise<string | undefined> {
  const modules = await loadTestcontainers()
  if (!modules) return TESTCONTAINERS_MISSING
  try {
    await modules.testcontainers.getContainerRuntimeClient()
    return undefined
  } catch (error) {
    return `no Docker engine is reachable (${(error as Error).message.split('\n')[0]})`
  }
}

export function noDockerError(endpoint: string, reason: string): UserError {
  const install = reason === TESTCONTAINERS_MISSING ? 'Install it (`npm install testcontainers @testcontainers/localstack`), or start' : 'Start'
  return new UserError(`Nothing answers at ${endpoint}, and fraudlab cannot start LocalStack: ${reason}.`, {
    exitCode: EXIT_CODES.unreachable,
    hint:
      `${install} LocalStack your own way and point fraudlab at it: \`docker compose -f localstack/docker-compose.yml up -d\`, then ` +
      '`fraudlab simulate --target localstack` (or --endpoint URL / AWS_ENDPOINT_URL for another address). The embedded stack (the default target) needs no Docker.',
  })
}

/**
 * Starts LocalStack through testcontainers and records it. The container outlives this process
 * (testcontainers' reaper is off for it) until `fraudlab stack down --target localstack`.
 */
export async function startLocalStackContainer(stateDir: string, log: (line: string) => void): Promise<LocalStackRecord> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'
  const modules = await loadTestcontainers()
  if (!modules) throw noDockerError('the LocalStack endpoint', TESTCONTAINERS_MISSING)
  const { LocalstackContainer } = modules.localstack
  log(`Starting ${LOCALSTACK_IMAGE} with testcontainers (the first start pulls the image)…`)
  const container = await new LocalstackContainer(LOCALSTACK_IMAGE).withEnvironment({ SERVICES: 'kinesis,dynamodb,sns' }).start()
  const record: LocalStackRecord = { version: 1, containerId: container.getId(), endpoint: container.getConnectionUri(), image: LOCALSTACK_IMAGE, startedAt: new Date().toISOString() }
  await mkdir(stateDir, { recursive: true })
  await writeFile(recordPath(stateDir), JSON.stringify(record, null, 2) + '\n')
  return record
}

/** Stops and removes the recorded container; returns its record, or undefined when none was recorded. */
export async function stopLocalStackContainer(stateDir: string): Promise<LocalStackRecord | undefined> {
  const record = await readLocalStackRecord(stateDir)
  if (!record) return undefined
  const reason = await dockerUnavailableReason()
  if (reason) throw new UserError(`Cannot stop the LocalStack container ${record.containerId.slice(0, 12)}: ${reason}.`, { hint: `Stop it with \`docker rm -f ${record.containerId.slice(0, 12)}\` where its engine runs.` })
  const client = await (await loadTestcontainers())!.testcontainers.getContainerRuntimeClient()
  const container = client.container.getById(record.containerId)
  await client.container.stop(container, { timeout: 10_000 }).catch(() => undefined)
  await client.container.remove(container, { removeVolumes: true }).catch(() => undefined)
  await rm(recordPath(stateDir), { force: true })
  return record
}
