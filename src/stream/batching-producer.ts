import { PutRecordsCommand, type PutRecordsCommandOutput, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import { backoffDelayMs, errorName, isRetryable, isThrottling } from '../aws/backoff.js'
import { nowMs } from '../util/clock.js'

/** The narrow part of a Kinesis client the producer needs, so that tests can stand in for it. */
export interface PutRecordsSender {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>
}

export interface ProducerHooks<Tag> {
  /** A record went out for the first time. */
  onSent?(tag: Tag, sentAtMs: number): void
  /** Kinesis accepted the record. */
  onAcked?(tag: Tag, ackedAtMs: number, sequenceNumber: string | undefined, shardId: string | undefined): void
  /** The record was given up on after its last attempt (never silent: the run counts it). */
  onFailed?(tag: Tag, reason: string): void
}

export interface ProducerOptions {
  /** PutRecords takes at most 500 records and 5 MiB per call. */
  maxBatchRecords?: number
  maxBatchBytes?: number
  /** How long a partial batch may wait for more records. */
  lingerMs?: number
  maxInFlightRequests?: number
  /** Attempts for a record that fails for any reason but throughput. */
  maxAttempts?: number
  /**
   * How long a throttled record is retried, from its first send (the KPL's RecordTtl, 30 s by
   * default): an overloaded shard refuses the same record many times while it drains its backlog.
   */
  throttledRecordTtlMs?: number
  random?: () => number
}

export interface ProducerStats {
  requests: number
  recordsAcked: number
  recordsFailed: number
  /** Records Kinesis refused with ProvisionedThroughputExceededException (each try counts). */
  throttled: number
  /** Record re-sends after a partial failure or a failed request. */
  retried: number
  /** Retries the SDK made inside its own calls. */
  sdkRetries: number
  requestErrors: number
}

/** What a run's stream writer offers, whether it writes one Kinesis record per record or aggregates. */
export interface RecordWriter<Tag> {
  put(tag: Tag, partitionKey: string, data: Uint8Array): void
  /** Sends whatever is buffered now and resolves once every record is acked or failed. */
  flush(): Promise<void>
  /** Records buffered, in flight or waiting to be retried. */
  readonly backlog: number
  /** In Kinesis records (an aggregate counts once). */
  readonly stats: ProducerStats
  readonly fatalError?: Error
  readonly lastFailure?: string
  /** Present when records travel aggregated: user records written, and the Kinesis records that carried them. */
  readonly aggregation?: { userRecords: number; kinesisRecords: number }
}

interface Pending<Tag> {
  tag: Tag
  entry: PutRecordsRequestEntry
  bytes: number
  attempts: number
  sentAtMs: number
}

const MAX_RECORD_BYTES = 1024 * 1024

/**
 * Batches records into PutRecords calls (at most 500 records / 5 MiB, a short linger), keeps a
 * few calls in flight, and re-sends the records that a partial failure or a failed call left
 * behind, with backoff. Every record ends either acked or failed through the hooks.
 */
export class BatchingProducer<Tag> implements RecordWriter<Tag> {
  readonly stats: ProducerStats = { requests: 0, recordsAcked: 0, recordsFailed: 0, throttled: 0, retried: 0, sdkRetries: 0, requestErrors: 0 }
  private readonly maxBatchRecords: number
  private readonly maxBatchBytes: number
  private readonly lingerMs: number
  private readonly maxInFlight: number
  private readonly maxAttempts: number
  private readonly throttledRecordTtlMs: number
  private readonly random: () => number
  private ready: Pending<Tag>[] = []
  private readyBytes = 0
  private waitingRetry = 0
  private inFlightRequests = 0
  private inFlightRecords = 0
  private lingerTimer?: NodeJS.Timeout
  /**
   * The waiting records' linger has run out (or a flush or a retry asked for them): they go as soon
   * as a request slot is free. Until then a partial batch waits for its linger, even when a call
   * returns: sending whatever is ready on every return made calls 3 times smaller than the linger
   * gives at 5,000 records a second, each with its cost in the SDK and the kernel on both sides.
   */
  private overdue = false
  private idleWaiters: Array<() => void> = []
  /** Set when a call fails in a way no retry can cure (a missing stream, bad credentials). */
  fatalError?: Error
  /** Why the last record given up on was given up on. */
  lastFailure?: string

  constructor(
    private readonly sender: PutRecordsSender,
    private readonly streamName: string,
    private readonly hooks: ProducerHooks<Tag> = {},
    options: ProducerOptions = {},
  ) {
    this.maxBatchRecords = options.maxBatchRecords ?? 500
    this.maxBatchBytes = options.maxBatchBytes ?? 5 * 1024 * 1024
    this.lingerMs = options.lingerMs ?? 5
    this.maxInFlight = options.maxInFlightRequests ?? 8
    this.maxAttempts = options.maxAttempts ?? 10
    this.throttledRecordTtlMs = options.throttledRecordTtlMs ?? 30_000
    this.random = options.random ?? Math.random
  }

  /** Records buffered, in flight or waiting to be retried. */
  get backlog(): number {
    return this.ready.length + this.inFlightRecords + this.waitingRetry
  }

  /** `explicitHashKey` places the record on the shard whose range holds it, whatever its partition key. */
  put(tag: Tag, partitionKey: string, data: Uint8Array, explicitHashKey?: string): void {
    const bytes = data.byteLength + Buffer.byteLength(partitionKey)
    const entry: PutRecordsRequestEntry = explicitHashKey === undefined ? { Data: data, PartitionKey: partitionKey } : { Data: data, PartitionKey: partitionKey, ExplicitHashKey: explicitHashKey }
    if (bytes > MAX_RECORD_BYTES) {
      this.fail({ tag, entry, bytes, attempts: 0, sentAtMs: 0 }, `record of ${bytes} bytes exceeds Kinesis' 1 MiB limit`)
      return
    }
    this.ready.push({ tag, entry, bytes, attempts: 0, sentAtMs: 0 })
    this.readyBytes += bytes
    if (this.ready.length >= this.maxBatchRecords || this.readyBytes >= this.maxBatchBytes) this.dispatch()
    else if (!this.overdue) this.lingerTimer ??= setTimeout(() => this.onLinger(), this.lingerMs)
  }

  /** Sends whatever is buffered now and resolves once every record is acked or failed. */
  async flush(): Promise<void> {
    this.sendOverdue()
    if (this.backlog === 0) return
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
  }

  private onLinger(): void {
    this.lingerTimer = undefined
    this.sendOverdue()
  }

  /** Sends every waiting record, full batch or not, as request slots allow (the rest as slots free). */
  private sendOverdue(): void {
    this.overdue = true
    this.dispatch()
  }

  private dispatch(): void {
    while (this.ready.length && this.inFlightRequests < this.maxInFlight) {
      const fullBatch = this.ready.length >= this.maxBatchRecords || this.readyBytes >= this.maxBatchBytes
      if (!fullBatch && !this.overdue) break
      const batch = this.takeBatch()
      void this.send(batch)
    }
    if (this.ready.length === 0) this.overdue = false
    else if (!this.overdue) this.lingerTimer ??= setTimeout(() => this.onLinger(), this.lingerMs)
  }

  private takeBatch(): Pending<Tag>[] {
    let count = 0
    let bytes = 0
    while (count < this.ready.length && count < this.maxBatchRecords && bytes + this.ready[count].bytes <= this.maxBatchBytes) {
      bytes += this.ready[count].bytes
      count++
    }
    const batch = this.ready.splice(0, Math.max(1, count))
    this.readyBytes -= bytes
    return batch
  }

  private async send(batch: Pending<Tag>[]): Promise<void> {
    this.inFlightRequests++
    this.inFlightRecords += batch.length
    const sentAtMs = nowMs()
    for (const pending of batch) {
      pending.attempts++
      if (pending.sentAtMs === 0) {
        pending.sentAtMs = sentAtMs
        this.hooks.onSent?.(pending.tag, sentAtMs)
      }
    }
    this.stats.requests++
    try {
      const output = await this.sender.send(new PutRecordsCommand({ StreamName: this.streamName, Records: batch.map((p) => p.entry) }))
      this.stats.sdkRetries += Math.max(0, (output.$metadata?.attempts ?? 1) - 1)
      const ackedAtMs = nowMs()
      const results = output.Records ?? []
      batch.forEach((pending, i) => {
        const result = results[i]
        if (result && !result.ErrorCode) {
          this.stats.recordsAcked++
          this.hooks.onAcked?.(pending.tag, ackedAtMs, result.SequenceNumber, result.ShardId)
        } else {
          const code = result?.ErrorCode ?? 'MissingResult'
          const throttled = code === 'ProvisionedThroughputExceededException'
          if (throttled) this.stats.throttled++
          this.retryLater(pending, `${code}: ${result?.ErrorMessage ?? 'no result for this record'}`, throttled)
        }
      })
    } catch (error) {
      this.stats.requestErrors++
      if (isThrottling(error)) this.stats.throttled += batch.length
      if (isRetryable(error)) {
        for (const pending of batch) this.retryLater(pending, `${errorName(error)}: ${(error as Error).message}`, isThrottling(error))
      } else {
        this.fatalError ??= error as Error
        for (const pending of batch) this.fail(pending, `${errorName(error)}: ${(error as Error).message}`)
      }
    } finally {
      this.inFlightRequests--
      this.inFlightRecords -= batch.length
      this.dispatch()
      this.notifyIfIdle()
    }
  }

  private retryLater(pending: Pending<Tag>, reason: string, throttled: boolean): void {
    const exhausted = throttled ? nowMs() - pending.sentAtMs >= this.throttledRecordTtlMs : pending.attempts >= this.maxAttempts
    if (exhausted) {
      this.fail(pending, `gave up after ${pending.attempts} attempts (${reason})`)
      return
    }
    this.stats.retried++
    this.waitingRetry++
    setTimeout(() => {
      this.waitingRetry--
      this.ready.unshift(pending)
      this.readyBytes += pending.bytes
      this.sendOverdue()
    }, backoffDelayMs(pending.attempts, this.random, 100, 5_000))
  }

  private fail(pending: Pending<Tag>, reason: string): void {
    this.stats.recordsFailed++
    this.lastFailure = reason
    this.hooks.onFailed?.(pending.tag, reason)
    this.notifyIfIdle()
  }

  private notifyIfIdle(): void {
    if (this.backlog > 0 || this.idleWaiters.length === 0) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
