import { BatchingProducer, type ProducerHooks, type ProducerOptions, type ProducerStats, type PutRecordsSender, type RecordWriter } from './batching-producer.js'
import { aggregate, type UserRecord } from './record-aggregation.js'
import type { ShardMap } from './shard-map.js'

export interface AggregatingOptions {
  /** An aggregate is sent once it holds this many bytes (the KPL's AggregationMaxSize default: 51,200). */
  maxAggregateBytes?: number
  /** …or once its first record has waited this long. */
  lingerMs?: number
  producer?: ProducerOptions
}

interface ShardBuffer {
  tags: unknown[]
  records: UserRecord[]
  bytes: number
}

/** Per-record overhead inside an aggregate, roughly: the protobuf framing and the key table entry. */
const RECORD_OVERHEAD_BYTES = 8

/**
 * Writes records as the Kinesis Producer Library does with aggregation on: user records bound for
 * the same shard (by their partition key's hash) are packed into one Kinesis record, which goes to
 * that shard by an explicit hash key. Fewer, fatter records: a shard's 1,000 records a second stop
 * binding and its 1 MiB a second binds instead. The consumer must de-aggregate (the KCL, Lambda's
 * Kinesis event source, and fraudlab's scorer do). Hooks are called per user record.
 */
export class AggregatingWriter<Tag> implements RecordWriter<Tag> {
  private readonly producer: BatchingProducer<Tag[]>
  private readonly buffers: ShardBuffer[]
  private readonly maxAggregateBytes: number
  private readonly lingerMs: number
  private readonly hashKeys: string[]
  private lingerTimer?: NodeJS.Timeout
  /** User records put and not yet acked or failed. */
  private outstanding = 0
  /** User records written, and the Kinesis records that carried them. */
  readonly aggregation = { userRecords: 0, kinesisRecords: 0 }

  constructor(sender: PutRecordsSender, streamName: string, private readonly shards: ShardMap, hooks: ProducerHooks<Tag> = {}, options: AggregatingOptions = {}) {
    this.maxAggregateBytes = options.maxAggregateBytes ?? 51_200
    this.lingerMs = options.lingerMs ?? 10
    this.buffers = shards.ranges.map(() => ({ tags: [], records: [], bytes: 0 }))
    this.hashKeys = shards.ranges.map((range) => range.startingHashKey.toString())
    const settle = (tags: Tag[]) => (this.outstanding -= tags.length)
    this.producer = new BatchingProducer<Tag[]>(
      sender,
      streamName,
      {
        onSent: (tags, atMs) => {
          for (const tag of tags) hooks.onSent?.(tag, atMs)
        },
        onAcked: (tags, atMs, sequenceNumber, shardId) => {
          for (const tag of tags) hooks.onAcked?.(tag, atMs, sequenceNumber, shardId)
          settle(tags)
        },
        onFailed: (tags, reason) => {
          for (const tag of tags) hooks.onFailed?.(tag, reason)
          settle(tags)
        },
      },
      // The records already waited in their aggregate: the batch itself goes almost at once.
      { lingerMs: 1, ...options.producer },
    )
  }

  get backlog(): number {
    return this.outstanding
  }

  get stats(): ProducerStats {
    return this.producer.stats
  }

  get fatalError(): Error | undefined {
    return this.producer.fatalError
  }

  get lastFailure(): string | undefined {
    return this.producer.lastFailure
  }

  put(tag: Tag, partitionKey: string, data: Uint8Array): void {
    const shard = this.shards.indexOf(partitionKey)
    const buffer = this.buffers[shard]
    buffer.tags.push(tag)
    buffer.records.push({ partitionKey, data })
    buffer.bytes += data.byteLength + partitionKey.length + RECORD_OVERHEAD_BYTES
    this.outstanding++
    if (buffer.bytes >= this.maxAggregateBytes) this.send(shard)
    else this.lingerTimer ??= setTimeout(() => this.sendAll(), this.lingerMs)
  }

  async flush(): Promise<void> {
    // Records put while the writer drains are sent on the next round.
    while (this.outstanding > 0) {
      this.sendAll()
      await this.producer.flush()
    }
  }

  private sendAll(): void {
    clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    for (let shard = 0; shard < this.buffers.length; shard++) this.send(shard)
  }

  private send(shard: number): void {
    const buffer = this.buffers[shard]
    if (buffer.records.length === 0) return
    this.buffers[shard] = { tags: [], records: [], bytes: 0 }
    let first = 0
    for (const packed of aggregate(buffer.records)) {
      const tags = buffer.tags.slice(first, first + packed.userRecords) as Tag[]
      first += packed.userRecords
      this.aggregation.userRecords += packed.userRecords
      this.aggregation.kinesisRecords++
      this.producer.put(tags, packed.partitionKey, packed.data, this.hashKeys[shard])
    }
  }
}
