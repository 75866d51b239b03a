import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type ChildShard,
  type KinesisClient,
  type StartingPosition,
  type SubscribeToShardCommandOutput,
} from '@aws-sdk/client-kinesis'
import { backoffDelayMs, errorName, isRetryable } from '../aws/backoff.js'
import { nowMs, sleep } from '../util/clock.js'
import { saveCheckpoint, type CheckpointStore } from './checkpoint-store.js'
import type { LeaseCoordinator } from './lease-coordinator.js'
import { PagesInFlight } from './pages-in-flight.js'
import { deaggregateAll, isAggregated } from './record-aggregation.js'
import { childShardsOf, leaseCheckpoints, runLeasedShardLoops, startingPosition, type OwnedShard } from './shard-loops.js'
import { listShards } from './shard-map.js'
import { newShardReaderStats, type ShardBatch, type ShardReaderStats } from './shard-reader.js'

export interface ShardSubscriberOptions {
  /** Control-plane calls (ListShards, the consumer's registration) over HTTP/1.1. */
  kinesis: Pick<KinesisClient, 'send'>
  /** SubscribeToShard, over HTTP/2. */
  subscriber: Pick<KinesisClient, 'send'>
  stream: string
  /** The stream consumer, registered once for every process of the group (idempotently). */
  consumerName: string
  /** Tags for the consumer when this registers it (one registered before keeps its own). */
  consumerTags?: Record<string, string>
  handler: (batch: ShardBatch) => Promise<void> | void
  startAt: 'TRIM_HORIZON' | 'LATEST'
  checkpoints?: CheckpointStore
  /** Shards shared with other workers by lease, as the polling reader's. */
  leases?: LeaseCoordinator
  checkpointIntervalMs?: number
  stats?: ShardReaderStats
  /**
   * Events of one shard the handler may hold at once (default 1), as the polling reader's pages:
   * the next push is taken while this one's effects are written, handled in order, and the
   * position moves only over events done without a gap.
   */
  pagesInFlight?: number
}

const MAX_CONSECUTIVE_FAILURES = 20
/** Records waiting for a free page slot before reading the subscription pauses. */
const MAX_WAITING_RECORDS = 20_000

interface Subscription {
  shardId: string
  /** The last sequence number handled (its effects done), or the last continuation: where a new subscription starts after. */
  resumeAfter: string | undefined
  checkpointed: string | undefined
  /** A subscription opened by `open` (LATEST is then where it was opened), waiting for `run`. */
  opened?: { abort: AbortController; output: SubscribeToShardCommandOutput }
}

/**
 * Enhanced fan-out's reader: the same contract as the polling ShardReader (positions from the
 * checkpoints, effects done before the checkpoint moves, replay rather than loss after a crash),
 * with records pushed over one SubscribeToShard per shard. A subscription that ends (AWS ends
 * each after 5 minutes) is renewed at once from its continuation; one refused because the last
 * is still closing (ResourceInUseException) or cut by the network is renewed with backoff.
 */
export class ShardSubscriber {
  readonly stats: ShardReaderStats & { subscriptions: number }
  private consumerArn = ''
  private subscriptions: Subscription[] = []

  constructor(private readonly options: ShardSubscriberOptions) {
    this.stats = Object.assign(options.stats ?? newShardReaderStats(), { subscriptions: 0 })
  }

  /**
   * Registers the consumer and finds each shard's position. A shard with no checkpoint that starts
   * at LATEST is subscribed to now, so that LATEST means this moment, not whenever `run` starts.
   */
  async open(): Promise<void> {
    this.consumerArn = await this.registerConsumer()
    const shards = await listShards(this.options.kinesis, this.options.stream)
    if (this.options.leases) return this.options.leases.start(shards, this.options.startAt)
    this.subscriptions = await Promise.all(
      shards.map(async ({ shardId }): Promise<Subscription> => {
        const checkpoint = await this.options.checkpoints?.read(shardId)
        const subscription: Subscription = { shardId, resumeAfter: checkpoint, checkpointed: checkpoint }
        if (checkpoint === undefined && this.options.startAt === 'LATEST') {
          const abort = new AbortController()
          subscription.opened = { abort, output: await this.subscribe(shardId, { Type: 'LATEST' }, abort.signal) }
        }
        return subscription
      }),
    )
  }

  private subscribe(shardId: string, position: StartingPosition, signal: AbortSignal): Promise<SubscribeToShardCommandOutput> {
    this.stats.subscriptions++
    return this.options.subscriber.send(new SubscribeToShardCommand({ ConsumerARN: this.consumerArn, ShardId: shardId, StartingPosition: position }), { abortSignal: signal })
  }

  async run(signal: AbortSignal): Promise<void> {
    const { leases } = this.options
    if (leases) return runLeasedShardLoops(signal, leases, ({ shardId, checkpoint, lease }, shardSignal) => this.follow({ shardId, resumeAfter: checkpoint, checkpointed: checkpoint }, shardSignal, lease))
    await Promise.all(this.subscriptions.map((subscription) => this.follow(subscription, signal)))
  }

  /** The consumer's ARN: registered now, or found registered by another process of the group. */
  private async registerConsumer(): Promise<string> {
    const { kinesis, stream, consumerName } = this.options
    const streamArn = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamARN
    try {
      await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName, Tags: this.options.consumerTags }))
    } catch (error) {
      if (errorName(error) !== 'ResourceInUseException') throw error
    }
    // AWS takes a few seconds to make a new consumer ACTIVE.
    for (;;) {
      const { ConsumerDescription: consumer } = await kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName }))
      if (consumer?.ConsumerStatus === 'ACTIVE' && consumer.ConsumerARN) return consumer.ConsumerARN
      await sleep(500)
    }
  }

  private async follow(subscription: Subscription, signal: AbortSignal, lease?: OwnedShard['lease']): Promise<void> {
    let failures = 0
    let lastCheckpointAt = nowMs()
    const maxInFlight = Math.max(1, this.options.pagesInFlight ?? 1)
    const stillHeld = lease?.holds
    const checkpoints = lease ? leaseCheckpoints(lease) : this.options.checkpoints
    const checkpoint = () => saveCheckpoint(checkpoints, subscription, subscription.resumeAfter, this.stats)
    const pages = new PagesInFlight((continuation) => (subscription.resumeAfter = continuation))
    /** Pushes that came while every slot was taken: one page, started when a slot frees. */
    let pending: { batch: ShardBatch | undefined; resumeAfter: string | undefined } | undefined
    const start = (batch: ShardBatch | undefined, resumeAfter: string | undefined) =>
      void pages.start(() => (batch ? this.options.handler(batch) : undefined), resumeAfter).then(startPending)
    const startPending = () => {
      if (!pending || pages.size >= maxInFlight || pages.failure) return
      const { batch, resumeAfter } = pending
      pending = undefined
      start(batch, resumeAfter)
    }
    // As the polling reader's pages: up to `maxInFlight` handled at once. What arrives beyond joins
    // one waiting page: one model call and one decisions write for it all, as a polled page would be.
    const hand = (batch: ShardBatch | undefined, resumeAfter: string | undefined) => {
      if (!pending && pages.size < maxInFlight) return start(batch, resumeAfter)
      const waiting = pending?.batch
      pending = { batch: waiting && batch ? { ...waiting, records: waiting.records.concat(batch.records) } : (waiting ?? batch), resumeAfter: resumeAfter ?? pending?.resumeAfter }
    }
    const settleAll = async () => {
      do await pages.allSettled()
      while (!pages.failure && (pending || pages.busy))
    }
    /** Set by the last event of a shard a reshard closed: the shards that follow it. */
    let children: ChildShard[] | undefined
    while (!signal.aborted && !pages.failure && !children) {
      const start = startingPosition(subscription.resumeAfter, this.options.startAt)
      const opened = subscription.opened
      subscription.opened = undefined
      const abort = opened?.abort ?? new AbortController()
      const stop = () => abort.abort()
      signal.addEventListener('abort', stop, { once: true })
      try {
        const output = opened?.output ?? (await this.subscribe(subscription.shardId, start, abort.signal))
        for await (const event of output.EventStream ?? []) {
          const pushed = event.SubscribeToShardEvent
          if (!pushed) continue
          failures = 0
          this.stats.millisBehindLatest[subscription.shardId] = pushed.MillisBehindLatest ?? 0
          const kinesisRecords = pushed.Records ?? []
          const records = kinesisRecords.some((record) => isAggregated(record.Data)) ? deaggregateAll(kinesisRecords) : kinesisRecords
          // Once handled (or with nothing to handle), a new subscription resumes after this event's continuation.
          hand(records.length ? { shardId: subscription.shardId, records, fetchedAtMs: nowMs(), stillHeld } : undefined, pushed.ContinuationSequenceNumber ?? kinesisRecords.at(-1)?.SequenceNumber)
          // A handler far behind holds the stream (HTTP/2 flow control then holds the server).
          while ((pending?.batch?.records.length ?? 0) > MAX_WAITING_RECORDS && !pages.failure) await pages.oldestSettled()
          if (pages.failure) break
          if (nowMs() - lastCheckpointAt >= (this.options.checkpointIntervalMs ?? 0) && (await checkpoint())) lastCheckpointAt = nowMs()
          // No continuation: the shard is closed and this was its end (the event names its children).
          if (pushed.ContinuationSequenceNumber == null) {
            children = pushed.ChildShards ?? []
            break
          }
          if (signal.aborted) break
        }
      } catch (error) {
        if (signal.aborted || pages.failure) break
        const name = errorName(error)
        if (name !== 'ResourceInUseException' && !isRetryable(error) && name !== 'AbortError' && !isConnectionError(error)) throw error
        if (++failures > MAX_CONSECUTIVE_FAILURES) throw error
        this.stats.retried++
        await sleep(backoffDelayMs(failures, Math.random, 100, 5_000), signal)
      } finally {
        signal.removeEventListener('abort', stop)
        abort.abort()
      }
      // A renewed subscription starts after what is done: the events in hand finish first.
      await settleAll()
    }
    await settleAll()
    if (pages.failure) throw pages.failure.error
    await checkpoint()
    if (children && lease) await lease.finish(await childShardsOf(this.options.kinesis, this.options.stream, subscription.shardId, children))
  }
}

/** An HTTP/2 session or stream that broke (the server went away, a reset): renew the subscription. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? ''
  return code.startsWith('ERR_HTTP2') || ['ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(code)
}
