import { BatchGetItemCommand, ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns'
import { backoffDelayMs, isThrottling, withRetries } from '../aws/backoff.js'
import type { ScorerDecision } from '../schema/decision.js'
import type { Transaction } from '../schema/transaction.js'
import { nowMs, sleep } from '../util/clock.js'
import { AlertMarks, type AlertMarkStats, type BlockListItem } from './alert-marks.js'

export interface ActionStats extends AlertMarkStats {
  blockListWrites: number
  /** Blocks already present (a replay after a restart): not written twice. */
  blockListAlreadyPresent: number
  alertsPublished: number
  alertsFailed: number
  throttled: number
}

export interface BlockAction {
  transaction: Transaction
  decision: ScorerDecision
}

/** The message published to the alerts topic for every block. */
export interface AlertMessage {
  transactionId: string
  account: string
  amount: number
  score: number
  reasons: string[]
  modelVersion: string
}

const PUBLISH_BATCH_SIZE = 10
/**
 * How long an alert whose PublishBatch entry failed is retried, with jittered backoff (the
 * producer's budget for a throttled record): a handful of attempts can all land in a bad spell.
 */
const ALERT_RETRY_BUDGET_MS = 30_000
const WRITE_CONCURRENCY = 16

/**
 * The effects of a block, idempotent under replay: a conditional PutItem into the BlockList (one
 * item per account and transaction), then an SNS alert, then `alertSentAt` on the item (see
 * AlertMarks). A replayed block whose alert was already sent is neither written nor published again.
 */
export class BlockActions {
  readonly stats: ActionStats = { blockListWrites: 0, blockListAlreadyPresent: 0, alertsPublished: 0, alertsFailed: 0, alertMarksWritten: 0, alertMarksFailed: 0, throttled: 0, retried: 0 }
  private readonly marks: AlertMarks

  constructor(
    private readonly clients: { dynamodb: DynamoDBClient; sns: SNSClient },
    private readonly blockListTable: string,
    private readonly alertsTopicArn: string,
    options: { markLingerMs?: number } = {},
  ) {
    this.marks = new AlertMarks(clients.dynamodb, blockListTable, this.stats, (call) => this.retrying(call), options.markLingerMs)
  }

  /**
   * Writes the blocks and publishes their alerts, and resolves then: the blocks have taken effect.
   * Their `alertSentAt` marks are written after, in the background (`flushMarks` waits for them).
   */
  async apply(blocks: BlockAction[]): Promise<void> {
    if (blocks.length === 0) return
    const needAlert: Array<{ block: BlockAction; item: BlockListItem }> = []
    await forEachLimited(blocks, WRITE_CONCURRENCY, async (block) => {
      const item = await this.writeBlock(block)
      if (item) needAlert.push({ block, item })
    })
    for (let i = 0; i < needAlert.length; i += PUBLISH_BATCH_SIZE) {
      for (const { item } of await this.publish(needAlert.slice(i, i + PUBLISH_BATCH_SIZE))) this.marks.add(item)
    }
  }

  /** Writes the marks still queued and waits for those in flight (before a scorer stops). */
  flushMarks(): Promise<void> {
    return this.marks.flush()
  }

  /**
   * Which of these transactions are already in the BlockList: used for records a previous scorer
   * process may have acted on before it died, so that the effect, not a re-score, decides.
   */
  async alreadyBlocked(transactions: Transaction[]): Promise<Set<string>> {
    const found = new Set<string>()
    for (let i = 0; i < transactions.length; i += 100) {
      let keys: Array<Record<string, AttributeValue>> = transactions
        .slice(i, i + 100)
        .map((tx) => ({ account: { S: tx.account }, transactionId: { S: tx.id } }))
      for (let attempt = 1; keys.length; attempt++) {
        const output = await this.retrying(() =>
          this.clients.dynamodb.send(
            new BatchGetItemCommand({ RequestItems: { [this.blockListTable]: { Keys: keys, ProjectionExpression: 'transactionId', ConsistentRead: true } } }),
          ),
        )
        for (const item of output.Responses?.[this.blockListTable] ?? []) if (item.transactionId?.S) found.add(item.transactionId.S)
        keys = output.UnprocessedKeys?.[this.blockListTable]?.Keys ?? []
        if (keys.length) {
          if (attempt >= 8) throw new Error(`BatchGetItem left ${keys.length} keys unprocessed after ${attempt} attempts`)
          this.stats.retried += keys.length
          await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt))
        }
      }
    }
    return found
  }

  private retrying<T>(call: () => Promise<T>): Promise<T> {
    return withRetries(call, {
      onRetry: (error) => {
        this.stats.retried++
        if (isThrottling(error)) this.stats.throttled++
      },
    })
  }

  /** The BlockList item (as written, or as found for a replay) when this block's alert still has to be sent. */
  private async writeBlock({ transaction, decision }: BlockAction): Promise<BlockListItem | undefined> {
    const key = { account: { S: transaction.account }, transactionId: { S: transaction.id } }
    const item: BlockListItem = {
      ...key,
      score: { N: String(decision.score) },
      reasons: { S: decision.reasons.join(',') },
      modelVersion: { S: decision.modelVersion },
      blockedAt: { S: new Date().toISOString() },
    }
    try {
      await this.retrying(() =>
        this.clients.dynamodb.send(new PutItemCommand({ TableName: this.blockListTable, Item: item, ConditionExpression: 'attribute_not_exists(transactionId)' })),
      )
      this.stats.blockListWrites++
      return item
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) && (error as Error).name !== 'ConditionalCheckFailedException') throw error
      this.stats.blockListAlreadyPresent++
      const existing = await this.retrying(() =>
        this.clients.dynamodb.send(new GetItemCommand({ TableName: this.blockListTable, Key: key, ConsistentRead: true })),
      )
      return existing.Item?.alertSentAt ? undefined : (existing.Item ?? item)
    }
  }

  private async publish<T extends { block: BlockAction }>(toAlert: T[]): Promise<T[]> {
    const entries = toAlert.map(({ block: { transaction, decision } }, i) => {
      const message: AlertMessage = {
        transactionId: transaction.id,
        account: transaction.account,
        amount: transaction.amount,
        score: decision.score,
        reasons: decision.reasons,
        modelVersion: decision.modelVersion,
      }
      return {
        Id: String(i),
        Message: JSON.stringify(message),
        Subject: 'fraudlab block',
        MessageAttributes: { verdict: { DataType: 'String', StringValue: decision.verdict } },
      }
    })
    let pending = entries
    const delivered: T[] = []
    const startedAt = nowMs()
    for (let attempt = 1; pending.length; attempt++) {
      const output = await this.retrying(() => this.clients.sns.send(new PublishBatchCommand({ TopicArn: this.alertsTopicArn, PublishBatchRequestEntries: pending })))
      for (const ok of output.Successful ?? []) delivered.push(toAlert[Number(ok.Id)])
      const failedIds = new Set((output.Failed ?? []).map((failure) => failure.Id))
      pending = pending.filter((entry) => failedIds.has(entry.Id))
      if (!pending.length || nowMs() - startedAt >= ALERT_RETRY_BUDGET_MS) break
      this.stats.retried += pending.length
      await sleep(50 + backoffDelayMs(attempt, Math.random, 100, 2_000))
    }
    this.stats.alertsPublished += delivered.length
    this.stats.alertsFailed += pending.length
    return delivered
  }
}

export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
