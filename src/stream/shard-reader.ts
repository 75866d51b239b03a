import { GetRecordsCommand, GetShardIteratorCommand, type ChildShard, type GetRecordsCommandOutput, type KinesisClient } from '@aws-sdk/client-kinesis'
import { backoffDelayMs, errorName, isRetryable, isThrottling } from '../aws/backoff.js'
import { sdkRetries } from '../aws/connection.js'
import { nowMs, sleep } from '../util/clock.js'
import { saveCheckpoint, type CheckpointStore } from './checkpoint-store.js'
import type { LeaseCoordinator } from './lease-coordinator.js'
import { PagesInFlight } from './pages-in-flight.js'
import { deaggregateAll, isAggregated, type StreamRecord } from './record-aggregation.js'
import { childShardsOf, leaseCheckpoints, runLeasedShardLoops, startingPosition, type OwnedShard } from './shard-loops.js'
import { listShards } from './shard-map.js'

export type { StreamRecord }

/** One GetRecords page of one shard, as the handler receives it. */
export interface ShardBatch {
  shardId: string
  /** User records: an aggregated Kinesis record (the KPL's format) arrives as the records it holds. */
  records: StreamRecord[]
  /** When the page came back from Kinesis. */
  fetchedAtMs: number
  /** With leases: whether this worker still holds the shard (act on nothing once it does not). */
  stillHeld?: () => boolean
}

export interface ShardReaderStats {
  getRecordsCalls: number
  /** GetRecords calls refused for throughput (each try counts). */
  throttled: number
  /** GetRecords retries: ours after a failed call, plus the SDK's own. */
  retried: number
  checkpointsWritten: number
  millisBehindLatest: Record<string, number>
  /** Cumulative wall time in GetRecords calls and checkpoint writes (shard loops overlap). */
  getRecordsMs: number
  checkpointMs: number
}

export interface ShardReaderOptions {
  kinesis: Pick<KinesisClient, 'send'>
  stream: string
  /** Handles one page; the reader checkpoints past it only once the returned promise resolves. */
  handler: (batch: ShardBatch) => Promise<void> | void
  /** Where a shard without a checkpoint starts: its oldest record, or the tip (what arrives from now on). */
  startAt: 'TRIM_HORIZON' | 'LATEST'
  /** Without a store the reader keeps no position across processes (a collector reading from LATEST). */
  checkpoints?: CheckpointStore
  /** Shards shared with other workers by lease: this reader reads only those it holds, and checkpoints in their leases. */
  leases?: LeaseCoordinator
  /** How often each shard's position is saved; a restart replays at most this much. */
  checkpointIntervalMs?: number
  /** Least time between two GetRecords calls on a shard: Kinesis serves 5 a second per shard. */
  pollIntervalMs: number
  /** Records per GetRecords page (Kinesis allows up to 10,000). */
  recordsPerCall: number
  /** A shared object to count into (a scorer's stats travel to its supervisor as they are). */
  stats?: ShardReaderStats
  /**
   * Pages of one shard the handler may hold at once (default 1). Above 1 the next GetRecords is
   * not held up by the current page's effects; the handler is still called in page order, and a
   * checkpoint covers only the pages done so far without a gap.
   */
  pagesInFlight?: number
}

const MAX_CONSECUTIVE_FAILURES = 20

export function newShardReaderStats(): ShardReaderStats {
  return { getRecordsCalls: 0, throttled: 0, retried: 0, checkpointsWritten: 0, millisBehindLatest: {}, getRecordsMs: 0, checkpointMs: 0 }
}

interface ShardPosition {
  shardId: string
  iterator: string | undefined
  /** The last sequence number of the pages the handler finished, with none before it still running. */
  lastSequence: string | undefined
  /** The last sequence number fetched (ahead of lastSequence while pages are in flight). */
  fetchedSequence: string | undefined
  checkpointed: string | undefined
  /** Set when the shard ended (a reshard closed it and it was read to its end): the shards that follow it. */
  children?: ChildShard[]
}

/**
 * The one loop that reads Kinesis shards: it owns a set of shards, positions each at its
 * checkpoint (or at `startAt`), spaces GetRecords by the poll interval, retries what a retry can
 * cure with backoff, hands each page to the handler, and checkpoints only after the handler's
 * effects are done, so a crash means replay, never loss. The scorer and the collector both use it.
 */
export class ShardReader {
  readonly stats: ShardReaderStats
  private positions: ShardPosition[] = []

  constructor(private readonly options: ShardReaderOptions) {
    this.stats = options.stats ?? newShardReaderStats()
  }

  /**
   * Lists the stream's shards and positions an iterator on each. A collector calls it before the
   * load starts, so that LATEST is taken before the first record is written.
   */
  async open(): Promise<void> {
    const shards = await listShards(this.options.kinesis, this.options.stream)
    if (this.options.leases) return this.options.leases.start(shards, this.options.startAt)
    this.positions = await Promise.all(
      shards.map(async ({ shardId }) => {
        const checkpoint = await this.options.checkpoints?.read(shardId)
        return { shardId, iterator: await this.iteratorAfter(shardId, checkpoint), lastSequence: checkpoint, fetchedSequence: checkpoint, checkpointed: checkpoint }
      }),
    )
  }

  /** Reads every shard until `signal` aborts; the page in hand is finished and checkpointed first. */
  async run(signal: AbortSignal): Promise<void> {
    const { leases } = this.options
    if (leases) {
      return runLeasedShardLoops(signal, leases, async ({ shardId, checkpoint, lease }, shardSignal) => {
        const position = { shardId, iterator: await this.iteratorAfter(shardId, checkpoint), lastSequence: checkpoint, fetchedSequence: checkpoint, checkpointed: checkpoint }
        // Leases taken together would poll in phase: each shard starts at a random point of the interval.
        await this.readShard(position, shardSignal, nowMs() + Math.random() * this.options.pollIntervalMs, lease)
      })
    }
    const startAt = nowMs()
    const { pollIntervalMs } = this.options
    // Shards poll out of phase, spread over the interval: polled together, every page would land
    // at once and the last one would wait behind all the others.
    await Promise.all(this.positions.map((position, i) => this.readShard(position, signal, startAt + (pollIntervalMs * i) / this.positions.length)))
  }


  private async iteratorAfter(shardId: string, checkpoint: string | undefined): Promise<string> {
    const start = startingPosition(checkpoint, this.options.startAt)
    const output = await this.options.kinesis.send(new GetShardIteratorCommand({ StreamName: this.options.stream, ShardId: shardId, ShardIteratorType: start.Type, StartingSequenceNumber: start.SequenceNumber }))
    if (!output.ShardIterator) throw new Error(`no shard iterator for ${shardId}`)
    return output.ShardIterator
  }

  private async readShard(position: ShardPosition, signal: AbortSignal, firstCallAt: number, lease?: OwnedShard['lease']): Promise<void> {
    const { stats } = this
    const maxInFlight = Math.max(1, this.options.pagesInFlight ?? 1)
    const pages = new PagesInFlight((sequenceNumber) => (position.lastSequence = sequenceNumber))
    let failures = 0
    const { pollIntervalMs } = this.options
    let nextCallAt = firstCallAt
    let lastCallAt = 0
    let lastCheckpointAt = nowMs()
    const stillHeld = lease?.holds
    const checkpoints = lease ? leaseCheckpoints(lease) : this.options.checkpoints
    const checkpoint = () => saveCheckpoint(checkpoints, position, position.lastSequence, this.stats)
    while (position.iterator && !signal.aborted && !pages.failure) {
      while (pages.size >= maxInFlight && !pages.failure) await pages.oldestSettled()
      if (pages.failure) break
      // Calls keep to the shard's beat, one per poll interval, whether or not the last one returned
      // records (as KCL does); a call held up by more than an interval takes the next beat.
      const wait = nextCallAt - nowMs()
      if (wait > 0) await sleep(wait, signal)
      if (signal.aborted) break
      lastCallAt = nowMs()
      nextCallAt += pollIntervalMs
      if (nextCallAt < lastCallAt) nextCallAt = pollIntervalMs > 0 ? nextCallAt + Math.ceil((lastCallAt - nextCallAt) / pollIntervalMs) * pollIntervalMs : lastCallAt
      let output: GetRecordsCommandOutput
      try {
        stats.getRecordsCalls++
        output = await this.options.kinesis.send(new GetRecordsCommand({ ShardIterator: position.iterator, Limit: this.options.recordsPerCall }))
        stats.getRecordsMs += nowMs() - lastCallAt
        stats.retried += sdkRetries(output)
        failures = 0
      } catch (error) {
        if (signal.aborted) break
        if (errorName(error) === 'ExpiredIteratorException') {
          position.iterator = await this.iteratorAfter(position.shardId, position.fetchedSequence)
          continue
        }
        if (!isRetryable(error) || ++failures > MAX_CONSECUTIVE_FAILURES) throw error
        if (isThrottling(error)) stats.throttled++
        stats.retried++
        await sleep(backoffDelayMs(failures, Math.random, 100, 5_000), signal)
        continue
      }
      stats.millisBehindLatest[position.shardId] = output.MillisBehindLatest ?? 0
      const kinesisRecords = output.Records ?? []
      if (kinesisRecords.length) {
        const fetchedAtMs = nowMs()
        const records = kinesisRecords.some((record) => isAggregated(record.Data)) ? deaggregateAll(kinesisRecords) : kinesisRecords
        const page = pages.start(() => this.options.handler({ shardId: position.shardId, records, fetchedAtMs, stillHeld }), records[records.length - 1].SequenceNumber)
        position.fetchedSequence = kinesisRecords[kinesisRecords.length - 1].SequenceNumber
        if (maxInFlight === 1) await page
      }
      if (!pages.failure && nowMs() - lastCheckpointAt >= (this.options.checkpointIntervalMs ?? 0) && (await checkpoint())) lastCheckpointAt = nowMs()
      // No next iterator: a reshard closed the shard and this was its end.
      if (!output.NextShardIterator) position.children = output.ChildShards ?? []
      position.iterator = output.NextShardIterator
    }
    // The pages in hand are finished before the last checkpoint; a failed one stops the reader there.
    await pages.allSettled()
    if (pages.failure) throw pages.failure.error
    await checkpoint()
    if (position.children && lease) await lease.finish(await childShardsOf(this.options.kinesis, this.options.stream, position.shardId, position.children))
  }
}
