import { hostname } from 'node:os'
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { errorName, withRetries } from '../aws/backoff.js'
import { sleep } from '../util/clock.js'
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
  /** Set when the segments of a run split across hosts (--segment) hold the lock together; the holder is the last to join. */
  segmentGroup?: string
}

export interface HeldRunLock {
  /** Set when another run took the lock (this run stalled past the expiry): its figures may be mixed. */
  readonly lostTo?: RunLockHolder
  /**
   * For a segment of a split run: waits until `count` segments hold the lock together, then gives
   * the time (epoch ms) at which all of them start their load, the same on every host.
   */
  segmentsStartAt(count: number, options: { signal: AbortSignal; onWait?: (joined: number) => void; timeoutMs?: number }): Promise<number>
  release(): Promise<void>
}

/** How long before their common start the segments learn it: each polls the lock every SEGMENT_POLL_MS. */
const SEGMENT_START_LEAD_MS = 1_000
const SEGMENT_POLL_MS = 200
const SEGMENT_WAIT_MS = 5 * 60_000
const SEGMENT_STALE_START_MS = 10_000

/**
 * Takes the lock for one run, or, with `segmentGroup`, joins the segments of a run split across
 * hosts that hold it together (`--segment`): any other run is refused while one of them renews it.
 */
export async function acquireRunLock(
  dynamodb: DynamoDBClient,
  names: ResourceNames,
  run: { runId: string; command: string; where: string; segmentGroup?: string },
  options: { expiryMs?: number; renewEveryMs?: number; now?: () => number } = {},
): Promise<HeldRunLock> {
  const expiryMs = options.expiryMs ?? LOCK_EXPIRY_MS
  const now = options.now ?? Date.now
  const table = names.leaseTable
  const me: RunLockHolder = { runId: run.runId, command: run.command, host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), expiresAtMs: now() + expiryMs, segmentGroup: run.segmentGroup }
  const key = { leaseKey: { S: LOCK_KEY } }
  const group = run.segmentGroup
  const put = (condition: string, values: Record<string, AttributeValue>) =>
    withRetries(() => dynamodb.send(new PutItemCommand({ TableName: table, Item: itemOf(me), ConditionExpression: condition, ExpressionAttributeValues: values })))
  const refused = async (): Promise<never> => {
    throw stackInUse(await readHolder(dynamodb, table), names, run.where)
  }

  if (group) {
    // Join the group holding it (one more segment in the set), or take a free or expired lock with a set of one.
    const holder = { ':run': { S: me.runId }, ':command': { S: me.command }, ':host': { S: me.host }, ':pid': { N: String(me.pid) }, ':started': { S: me.startedAt }, ':expires': { N: String(me.expiresAtMs) } }
    const setHolder = 'runId = :run, #command = :command, #host = :host, pid = :pid, startedAt = :started, expiresAtMs = :expires, segmentGroup = :group'
    const update = (expression: string, condition: string) =>
      withRetries(() =>
        dynamodb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key,
            UpdateExpression: expression,
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#command': 'command', '#host': 'host' },
            ExpressionAttributeValues: { ...holder, ':group': { S: group }, ':me': { SS: [me.runId] }, ':now': { N: String(now()) } },
          }),
        ),
      )
    const applied = (attempt: Promise<unknown>) =>
      attempt.then(
        () => true,
        (error: unknown) => (errorName(error) === 'ConditionalCheckFailedException' ? false : Promise.reject(error)),
      )
    // Two segments starting at once may both find no lock: the one whose take loses joins on the next pass.
    let held = false
    for (let pass = 0; pass < 3 && !held; pass++) {
      held =
        (await applied(update(`SET ${setHolder} ADD segmentRuns :me`, 'segmentGroup = :group AND expiresAtMs >= :now'))) ||
        (await applied(update(`SET ${setHolder}, segmentRuns = :me REMOVE loadStartsAtMs`, 'attribute_not_exists(leaseKey) OR expiresAtMs < :now')))
    }
    if (!held) await refused()
  } else {
    try {
      await put('attribute_not_exists(leaseKey) OR expiresAtMs < :now', { ':now': { N: String(now()) } })
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error
      const holder = await readHolder(dynamodb, table)
      // A split run's lock stays with its other segments while they renew it, whoever joined last.
      if (!holder || holder.segmentGroup !== undefined || !isGoneOnThisHost(holder)) throw stackInUse(holder, names, run.where)
      try {
        await put('runId = :stale', { ':stale': { S: holder.runId } })
      } catch (retake) {
        if (errorName(retake) !== 'ConditionalCheckFailedException') throw retake
        await refused()
      }
    }
  }

  // Any segment of the group renews it; a lone run only its own.
  const mine = group ? { condition: 'segmentGroup = :mine', value: { ':mine': { S: group } } } : { condition: 'runId = :mine', value: { ':mine': { S: me.runId } } }
  let lostTo: RunLockHolder | undefined
  const renew = async () => {
    try {
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET expiresAtMs = :expires',
          ConditionExpression: mine.condition,
          ExpressionAttributeValues: { ':expires': { N: String(now() + expiryMs) }, ...mine.value },
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
    async segmentsStartAt(count, { signal, onWait, timeoutMs = SEGMENT_WAIT_MS }) {
      if (!group) throw new Error('only the segments of a split run start together')
      const deadline = now() + timeoutMs
      for (;;) {
        const { Item: item } = await withRetries(() => dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })))
        if (item?.segmentGroup?.S !== group) throw new Error('the run lock was taken by another run while the segments were gathering')
        // A start long past is a crashed earlier gathering of the same run's, not this one's.
        const staleBefore = now() - SEGMENT_STALE_START_MS
        const startsAt = Number(item.loadStartsAtMs?.N ?? NaN)
        if (startsAt >= staleBefore) return startsAt
        const joined = item.segmentRuns?.SS?.length ?? 0
        if (joined >= count) {
          // The first to see everyone sets the start; whoever writes first wins, the others read it.
          const at = { ':at': { N: String(Math.round(now() + SEGMENT_START_LEAD_MS)) }, ':stale': { N: String(Math.round(staleBefore)) }, ...mine.value }
          await dynamodb
            .send(new UpdateItemCommand({ TableName: table, Key: key, UpdateExpression: 'SET loadStartsAtMs = :at', ConditionExpression: `${mine.condition} AND (attribute_not_exists(loadStartsAtMs) OR loadStartsAtMs < :stale)`, ExpressionAttributeValues: at }))
            .catch((error: unknown) => {
              if (errorName(error) !== 'ConditionalCheckFailedException') throw error
            })
          continue
        }
        if (now() > deadline) throw new UserError(`Only ${joined} of the ${count} segments joined within ${timeoutMs / 60_000} minutes.`, { hint: `Start every segment (--segment 1/${count} … ${count}/${count}) with the same flags on the same stack at about the same time.` })
        onWait?.(joined)
        await sleep(SEGMENT_POLL_MS, signal)
        if (signal.aborted) throw new UserError('Stopped while waiting for the other segments.', { exitCode: 130 })
      }
    },
    async release() {
      clearInterval(timer)
      if (group) {
        // Out of the set; the last segment out deletes the lock (DynamoDB drops an emptied set).
        await dynamodb.send(new UpdateItemCommand({ TableName: table, Key: key, UpdateExpression: 'DELETE segmentRuns :me', ConditionExpression: mine.condition, ExpressionAttributeValues: { ':me': { SS: [me.runId] }, ...mine.value } })).catch(() => undefined)
      }
      const condition = group ? `${mine.condition} AND attribute_not_exists(segmentRuns)` : mine.condition
      await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key, ConditionExpression: condition, ExpressionAttributeValues: mine.value })).catch(() => undefined)
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
    segmentGroup: item.segmentGroup?.S,
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
  const run = holder ? `run ${holder.runId} (${holder.command}, pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})` : 'another run'
  const who = holder?.segmentGroup ? `the segments of a run split across hosts (--segment; the last to join: ${run})` : run
  return new UserError(`The streams and tables with prefix "${names.prefix}" on ${where} are in use by ${who}: two runs on them would read each other's transactions and decisions.`, {
    hint: `Wait for that run to end, or give this one its own streams and tables on the same stack with --prefix (for example --prefix ${names.prefix}2-), or start a separate stack: FRAUDLAB_STATE_DIR=/tmp/another-stack fraudlab stack up. A run killed without warning frees the lock within ${LOCK_EXPIRY_MS / 1000} s.`,
  })
}
