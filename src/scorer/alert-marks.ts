import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb'
import { backoffDelayMs } from '../aws/backoff.js'
import { sleep } from '../util/clock.js'

export type BlockListItem = Record<string, AttributeValue>

export interface AlertMarkStats {
  alertMarksWritten: number
  /** Marks given up on (DynamoDB kept refusing them): a replay of those blocks would alert once more. */
  alertMarksFailed: number
  retried: number
}

/** Runs a call with the owner's retries (and its counts of retries and throttling). */
export type Retrying = <T>(call: () => Promise<T>) => Promise<T>

const BATCH_WRITE_ITEMS = 25
/** How long a mark waits for others to share its BatchWriteItem. */
const LINGER_MS = 100
const MAX_ROUNDS = 8

/**
 * `alertSentAt` on the BlockList items whose alert went out: each item written again whole, with
 * the mark, 25 to a BatchWriteItem, in the background. A mark only spares a replay a second alert,
 * and only records after the last checkpoint are ever replayed, so no decision and no checkpoint
 * waits for one: a mark lost to a crash costs at most one more alert, never a missed one. One
 * request for many blocks instead of an UpdateItem each (a third of a block's DynamoDB and SNS calls).
 */
export class AlertMarks {
  private queued: BlockListItem[] = []
  private timer?: NodeJS.Timeout
  private readonly writing = new Set<Promise<void>>()

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly stats: AlertMarkStats,
    private readonly retrying: Retrying,
    private readonly lingerMs = LINGER_MS,
  ) {}

  /** The item as written (or as found, for a replay), to be marked. */
  add(item: BlockListItem): void {
    this.queued.push({ ...item, alertSentAt: { S: new Date().toISOString() } })
    if (this.queued.length >= BATCH_WRITE_ITEMS) this.writeQueued()
    else this.timer ??= setTimeout(() => this.writeQueued(), this.lingerMs)
  }

  /** Writes what is queued and waits for every mark in flight (a scorer stopping). */
  async flush(): Promise<void> {
    this.writeQueued()
    while (this.writing.size) await Promise.all(this.writing)
  }

  private writeQueued(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    while (this.queued.length) {
      const written: Promise<void> = this.write(this.queued.splice(0, BATCH_WRITE_ITEMS)).finally(() => this.writing.delete(written))
      this.writing.add(written)
    }
  }

  private async write(items: BlockListItem[]): Promise<void> {
    let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }))
    for (let round = 1; ; round++) {
      try {
        const output = await this.retrying(() => this.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } })))
        const unprocessed = output.UnprocessedItems?.[this.table] ?? []
        this.stats.alertMarksWritten += requests.length - unprocessed.length
        requests = unprocessed
      } catch {
        this.stats.alertMarksFailed += requests.length
        return
      }
      if (requests.length === 0) return
      if (round >= MAX_ROUNDS) {
        this.stats.alertMarksFailed += requests.length
        return
      }
      this.stats.retried += requests.length
      await sleep(backoffDelayMs(round, Math.random))
    }
  }
}
