import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { readDecision } from '../collector/decision-collector.js'
import { UserError } from '../errors/user-error.js'
import type { Decision } from '../schema/decision.js'
import { TransactionSchema, type Transaction } from '../schema/transaction.js'
import { createAwsClients } from '../stack/aws-clients.js'
import { provision } from '../stack/provision.js'
import { resourceNames, withUserResources, type UserResources } from '../stack/resource-names.js'
import { acquireRunLock } from '../stack/run-lock.js'
import { resolveTarget, type TargetSelection } from '../stack/targets.js'
import { BatchingProducer } from '../stream/batching-producer.js'
import { ShardReader } from '../stream/shard-reader.js'
import { nowMs, sleep } from '../util/clock.js'
import { newRunId } from '../util/run-id.js'
import { alertObserver } from './alert-observer.js'
import { RunResources } from './run-resources.js'

export interface VerifyRequest extends TargetSelection {
  userResources: UserResources
  canaries: number
  timeoutMs: number
  log: (line: string) => void
}

export interface VerifyCheck {
  name: string
  ok: boolean
  detail: string
}

export interface VerifyResult {
  runId: string
  ok: boolean
  checks: VerifyCheck[]
}

const LISTED_IDS = 20

/**
 * `fraudlab scorer verify`: a handful of canary transactions through the real stream, and the
 * scorer's answers checked against the contract: each decided, with a schema-valid decision,
 * within the timeout; each block with its BlockList item and its alert. The scorer is whoever
 * consumes the stream: fraudlab starts none.
 */
export async function verifyScorer(request: VerifyRequest): Promise<VerifyResult> {
  const runId = newRunId()
  const defaults = resourceNames(request.prefix)
  // Every stream, table and topic is used as it is: verify creates none of them.
  const names = withUserResources(defaults, {
    transactionsStream: request.userResources.transactionsStream ?? defaults.transactionsStream,
    decisionsStream: request.userResources.decisionsStream ?? defaults.decisionsStream,
    blockListTable: request.userResources.blockListTable ?? defaults.blockListTable,
    alertsTopic: request.userResources.alertsTopic ?? defaults.alertsTopic,
  })
  const resources = new RunResources()
  try {
    const target = await resolveTarget({ ...request, names, transactionShards: 1, decisionShards: 1 }, request.log)
    if (target.ownedStack) {
      await target.ownedStack.stop()
      throw new UserError('No embedded stack is running, so no scorer can be reading one.', { hint: 'Start one with `fraudlab stack up`, start your scorer against it, then verify; or pass --target.' })
    }
    const clients = createAwsClients(target.endpoints)
    resources.onRelease(() => clients.destroy())
    const provisioned = await provision(clients, { names, transactionShards: 1, decisionShards: 1 })
    const lock = await acquireRunLock(clients.dynamodb, names, { runId, command: 'scorer verify', where: target.description })
    resources.onRelease(() => lock.release())

    const decisions = new Map<string, Decision>()
    const decidedAt = new Map<string, number>()
    const alerted = new Set<string>()
    let invalid = 0
    let firstInvalid: string | undefined
    const reader = new ShardReader({
      kinesis: clients.kinesis,
      stream: names.decisionsStream,
      startAt: 'LATEST',
      pollIntervalMs: 200,
      recordsPerCall: 1_000,
      handler: ({ records, fetchedAtMs }) => {
        for (const record of records) {
          const read = readDecision(record.Data)
          if (!('decision' in read)) {
            // The lock keeps other runs off the stream, and it is read from the moment verify began: a broken decision is the scorer's answer to a canary.
            invalid++
            firstInvalid ??= read.invalid
            continue
          }
          const { decision } = read
          if (!decision.transactionId.startsWith(`${runId}-`) || decisions.has(decision.transactionId)) continue
          decisions.set(decision.transactionId, decision)
          decidedAt.set(decision.transactionId, fetchedAtMs)
        }
      },
    })
    await reader.open()
    const reading = new AbortController()
    const readerDone = reader.run(reading.signal).catch(() => undefined)
    resources.onRelease(async () => {
      reading.abort()
      await readerDone
    })
    const alertSink = { recordAlert: (id: string) => void alerted.add(id) }
    const alerts = alertObserver(target, clients, provisioned.alertsTopicArn, names, runId, alertSink)
    await alerts.start()
    resources.onRelease(() => alerts.stop())

    const canaries = canaryTransactions(runId, request.canaries)
    const sentAt = new Map<string, number>()
    const failedToSend: string[] = []
    const producer = new BatchingProducer<string>(clients.kinesis, names.transactionsStream, {
      onAcked: (id, atMs) => sentAt.set(id, atMs),
      onFailed: (id) => failedToSend.push(id),
    })
    for (const tx of canaries) producer.put(tx.id, tx.account, Buffer.from(JSON.stringify(tx)))
    await producer.flush()
    request.log(`Sent ${sentAt.size} canary transactions to ${names.transactionsStream} on ${target.description}; waiting up to ${Math.round(request.timeoutMs / 1000)} s for the scorer.`)

    const deadline = nowMs() + request.timeoutMs
    const blocked = () => [...decisions.values()].filter((d) => d.verdict === 'block').map((d) => d.transactionId)
    while (nowMs() < deadline && (decisions.size < sentAt.size || blocked().some((id) => !alerted.has(id)))) await sleep(100)

    const checks: VerifyCheck[] = []
    const ids = (list: string[]) => (list.length > LISTED_IDS ? `${list.slice(0, LISTED_IDS).join(', ')} and ${list.length - LISTED_IDS} more` : list.join(', '))
    checks.push({ name: 'sent', ok: failedToSend.length === 0, detail: failedToSend.length ? `${failedToSend.length} canaries could not be written to ${names.transactionsStream}: ${ids(failedToSend)}` : `${sentAt.size} canary transactions written to ${names.transactionsStream}` })
    const missing = [...sentAt.keys()].filter((id) => !decisions.has(id))
    const latencies = [...decidedAt].map(([id, at]) => at - (sentAt.get(id) ?? at)).sort((a, b) => a - b)
    const slowest = latencies.length ? ` (slowest ${Math.round(latencies[latencies.length - 1])} ms from its send to its decision read)` : ''
    checks.push({
      name: 'decided',
      ok: missing.length === 0,
      detail: missing.length ? `${missing.length} of ${sentAt.size} canaries got no decision within ${Math.round(request.timeoutMs / 1000)} s: ${ids(missing)}` : `every canary decided on ${names.decisionsStream}${slowest}`,
    })
    checks.push({ name: 'valid', ok: invalid === 0, detail: invalid ? `${invalid} decisions broke the contract; the first: ${firstInvalid}` : 'every decision valid per docs/contract/decision.schema.json' })
    const blocks = blocked()
    const withoutItem: string[] = []
    for (const id of blocks) {
      const account = canaries.find((tx) => tx.id === id)!.account
      const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: names.blockListTable, Key: { account: { S: account }, transactionId: { S: id } }, ConsistentRead: true }))
      if (!Item) withoutItem.push(id)
    }
    checks.push({ name: 'blocklist', ok: withoutItem.length === 0, detail: withoutItem.length ? `${withoutItem.length} of ${blocks.length} blocks have no BlockList item in ${names.blockListTable}: ${ids(withoutItem)}` : `${blocks.length} blocks, each with its BlockList item` })
    const withoutAlert = blocks.filter((id) => !alerted.has(id))
    checks.push({ name: 'alerts', ok: withoutAlert.length === 0, detail: withoutAlert.length ? `${withoutAlert.length} of ${blocks.length} blocks have no alert on ${names.alertsTopic}: ${ids(withoutAlert)}` : `${blocks.length} blocks, each with its alert` })
    return { runId, ok: checks.every((check) => check.ok), checks }
  } finally {
    await resources.release()
  }
}

/**
 * Canaries a scorer can tell apart: payments, and transfers and cash-outs that empty the paying
 * account (what fraudlab's rules and model block), each from its own account.
 */
export function canaryTransactions(runId: string, count: number): Transaction[] {
  const now = Date.now()
  return Array.from({ length: count }, (_, i) => {
    const suspicious = i % 5 === 4
    const type = suspicious ? (i % 10 === 4 ? 'TRANSFER' : 'CASH_OUT') : 'PAYMENT'
    const before = 5_000 + 100 * i
    const amount = suspicious ? before : 20 + i
    return TransactionSchema.parse({
      id: `${runId}-${i}`,
      eventTime: now,
      account: `canary-${runId}-C${i}`,
      counterparty: `canary-${runId}-M${i}`,
      type,
      amount,
      currency: 'USD',
      balances: { originBefore: before, originAfter: before - amount, destinationBefore: 0, destinationAfter: amount },
      channel: 'mobile',
    })
  })
}
