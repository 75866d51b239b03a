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

/** Why no container can be started here, or undefined when a Docker engine answers. */
export async function dockerUnavailableReason(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
    return undefined
  } catch (error) {
    return (error as Error).message.split('\n')[0]
  }
}

export function noDockerError(endpoint: string, reason: string): UserError {
  return new UserError(`Nothing answers at ${endpoint}, and fraudlab cannot start LocalStack: no Docker engine is reachable (${reason}).`, {
    exitCode: EXIT_CODES.unreachable,
    hint:
      'Start LocalStack your own way and point fraudlab at it: `docker compose -f localstack/docker-compose.yml up -d`, then ' +
      '`fraudlab simulate --target localstack` (or --endpoint URL / AWS_ENDPOINT_URL for another address). The embedded stack (the default target) needs no Docker.',
  })
}

/**
 * Starts LocalStack through testcontainers and records it. The container outlives this process
 * (testcontainers' reaper is off for it) until `fraudlab stack down --target localstack`.
 */
export async function startLocalStackContainer(stateDir: string, log: (line: string) => void): Promise<LocalStackRecord> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'
  const { LocalstackContainer } = await import('@testcontainers/localstack')
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
  if (reason) throw new UserError(`Cannot stop the LocalStack container ${record.containerId.slice(0, 12)}: no Docker engine is reachable (${reason}).`, { hint: `Stop it with \`docker rm -f ${record.containerId.slice(0, 12)}\` where its engine runs.` })
  const { getContainerRuntimeClient } = await import('testcontainers')
  const client = await getContainerRuntimeClient()
  const container = client.container.getById(record.containerId)
  await client.container.stop(container, { timeout: 10_000 }).catch(() => undefined)
  await client.container.remove(container, { removeVolumes: true }).catch(() => undefined)
  await rm(recordPath(stateDir), { force: true })
  return record
}
