import { hostname } from 'node:os'
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { errorName, withRetries } from '../aws/backoff.js'
import { UserError } from '../errors/user-error.js'
import type { ResourceNames } from './resource-names.js'

/**
 * One run at a time per set of streams and tables: two runs on the same prefix would read each
 * other's transactions and decisions. The lock is an item in the lease table (every target
 * has one, and a conditional write there works the same on the emulators, LocalStack and AWS). It
 * expires unless renewed, so a run killed with SIGKILL frees it within EXPIRY_MS; on the same host
 * a holder whose process is gone frees it at once.
 */
const LOCK_KEY = 'fraudlab-run-lock'
export const LOCK_EXPIRY_MS = 30_000
const RENEW_EVERY_MS = 10_000

export interface RunLockHolder {
  runId: string
  command: string
  host: string
  pid: number
  startedAt: string
  expiresAtMs: number
}

export interface HeldRunLock {
  /** Set when another run took the lock (this run stalled past the expiry): its figures may be mixed. */
  readonly lostTo?: RunLockHolder
  release(): Promise<void>
}

export async function acquireRunLock(
  dynamodb: DynamoDBClient,
  names: ResourceNames,
  run: { runId: string; command: string; where: string },
  options: { expiryMs?: number; renewEveryMs?: number; now?: () => number } = {},
): Promise<HeldRunLock> {
  const expiryMs = options.expiryMs ?? LOCK_EXPIRY_MS
  const now = options.now ?? Date.now
  const table = names.leaseTable
  const me: RunLockHolder = { runId: run.runId, command: run.command, host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), expiresAtMs: now() + expiryMs }
  const put = (condition: string, values: Record<string, AttributeValue>) =>
    withRetries(() => dynamodb.send(new PutItemCommand({ TableName: table, Item: itemOf(me), ConditionExpression: condition, ExpressionAttributeValues: values })))

  try {
    await put('attribute_not_exists(leaseKey) OR expiresAtMs < :now', { ':now': { N: String(now()) } })
  } catch (error) {
    if (errorName(error) !== 'ConditionalCheckFailedException') throw error
    const holder = await readHolder(dynamodb, table)
    if (!holder || !isGoneOnThisHost(holder)) throw stackInUse(holder, names, run.where)
    try {
      await put('runId = :stale', { ':stale': { S: holder.runId } })
    } catch (retake) {
      if (errorName(retake) !== 'ConditionalCheckFailedException') throw retake
      throw stackInUse(await readHolder(dynamodb, table), names, run.where)
    }
  }

  let lostTo: RunLockHolder | undefined
  const renew = async () => {
    try {
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { leaseKey: { S: LOCK_KEY } },
          UpdateExpression: 'SET expiresAtMs = :expires',
          ConditionExpression: 'runId = :me',
          ExpressionAttributeValues: { ':expires': { N: String(now() + expiryMs) }, ':me': { S: me.runId } },
        }),
      )
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        lostTo ??= (await readHolder(dynamodb, table).catch(() => undefined)) ?? { ...me, runId: 'unknown' }
        clearInterval(timer)
      }
      // Anything else (a throttle, a blip): the next renewal tries again well before the expiry.
    }
  }
  const timer = setInterval(() => void renew(), options.renewEveryMs ?? RENEW_EVERY_MS)
  timer.unref()
  return {
    get lostTo() {
      return lostTo
    },
    async release() {
      clearInterval(timer)
      await dynamodb
        .send(new DeleteItemCommand({ TableName: table, Key: { leaseKey: { S: LOCK_KEY } }, ConditionExpression: 'runId = :me', ExpressionAttributeValues: { ':me': { S: me.runId } } }))
        .catch(() => undefined)
    },
  }
}

function itemOf(holder: RunLockHolder): Record<string, AttributeValue> {
  return {
    leaseKey: { S: LOCK_KEY },
    runId: { S: holder.runId },
    command: { S: holder.command },
    host: { S: holder.host },
    pid: { N: String(holder.pid) },
    startedAt: { S: holder.startedAt },
    expiresAtMs: { N: String(holder.expiresAtMs) },
  }
}

/** The run that holds the lock now, if any (an expired lock holds nothing). */
export async function currentRunLock(dynamodb: DynamoDBClient, names: ResourceNames): Promise<RunLockHolder | undefined> {
  const holder = await readHolder(dynamodb, names.leaseTable)
  return holder && holder.expiresAtMs >= Date.now() ? holder : undefined
}

async function readHolder(dynamodb: DynamoDBClient, table: string): Promise<RunLockHolder | undefined> {
  const { Item: item } = await withRetries(() => dynamodb.send(new GetItemCommand({ TableName: table, Key: { leaseKey: { S: LOCK_KEY } }, ConsistentRead: true })))
  if (!item?.runId?.S) return undefined
  return {
    runId: item.runId.S,
    command: item.command?.S ?? 'a run',
    host: item.host?.S ?? 'an unknown host',
    pid: Number(item.pid?.N ?? 0),
    startedAt: item.startedAt?.S ?? '',
    expiresAtMs: Number(item.expiresAtMs?.N ?? 0),
  }
}

/** A holder on this host whose process no longer runs (killed before it could release). */
function isGoneOnThisHost(holder: RunLockHolder): boolean {
  if (holder.host !== hostname() || !(holder.pid > 0)) return false
  try {
    process.kill(holder.pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/** A second run on streams and tables a run already uses: refused before it touches anything. */
function stackInUse(holder: RunLockHolder | undefined, names: ResourceNames, where: string): UserError {
  const who = holder ? `run ${holder.runId} (${holder.command}, pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})` : 'another run'
  return new UserError(`The streams and tables with prefix "${names.prefix}" on ${where} are in use by ${who}: two runs on them would read each other's transactions and decisions.`, {
    hint: `Wait for that run to end, or give this one its own streams and tables on the same stack with --prefix (for example --prefix ${names.prefix}2-), or start a separate stack: FRAUDLAB_STATE_DIR=/tmp/another-stack fraudlab stack up. A run killed without warning frees the lock within ${LOCK_EXPIRY_MS / 1000} s.`,
  })
}
