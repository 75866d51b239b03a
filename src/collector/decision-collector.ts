import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { backoffDelayMs, isRetryable } from '../aws/backoff.js'
import { DecisionSchema } from '../schema/decision.js'
import { nowMs, sleep } from '../util/clock.js'
import type { RunLedger } from './run-ledger.js'

/**
 * Reads the decisions stream from the moment it starts (LATEST, taken before any load), validates
 * each decision and hands it to the ledger, which joins it with labels and drops duplicates.
 */
export class DecisionCollector {
  invalidDecisions = 0
  retried = 0
  private iterators: Array<{ shardId: string; iterator: string | undefined }> = []
  private readonly controller = new AbortController()
  private loops: Promise<void>[] = []
  error?: Error

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly stream: string,
    private readonly ledger: RunLedger,
    private readonly pollIntervalMs = 200,
  ) {}

  /** Positions an iterator at the tip of every shard; call before the load starts. */
  async prepare(): Promise<void> {
    const shards = await this.kinesis.send(new ListShardsCommand({ StreamName: this.stream }))
    this.iterators = await Promise.all(
      (shards.Shards ?? []).map(async (shard) => {
        const output = await this.kinesis.send(
          new GetShardIteratorCommand({ StreamName: this.stream, ShardId: shard.ShardId!, ShardIteratorType: 'LATEST' }),
        )
        return { shardId: shard.ShardId!, iterator: output.ShardIterator }
      }),
    )
  }

  start(): void {
    const signal = this.controller.signal
    this.loops = this.iterators.map((position) => this.poll(position, signal).catch((error: Error) => void (this.error ??= error)))
  }

  async stop(): Promise<void> {
    this.controller.abort()
    await Promise.all(this.loops)
  }

  private async poll(position: { shardId: string; iterator: string | undefined }, signal: AbortSignal): Promise<void> {
    let failures = 0
    let lastCallAt = -Infinity
    while (position.iterator && !signal.aborted) {
      // At most 5 GetRecords a second per shard, as Kinesis allows (see the scorer's shard loop).
      const wait = lastCallAt + this.pollIntervalMs - nowMs()
      if (wait > 0) await sleep(wait, signal)
      if (signal.aborted) return
      lastCallAt = nowMs()
      try {
        // Modest pages: a 10,000-record page is ~5 MB of JSON per shard, which a run would hold at once.
        const output = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: position.iterator, Limit: 2_000 }))
        failures = 0
        const observedAt = nowMs()
        for (const record of output.Records ?? []) {
          const parsed = DecisionSchema.safeParse(safeJson(record.Data))
          if (parsed.success) this.ledger.recordDecision(parsed.data, observedAt)
          else this.invalidDecisions++
        }
        position.iterator = output.NextShardIterator
      } catch (error) {
        if (signal.aborted) return
        if (!isRetryable(error) || ++failures > 20) throw error
        this.retried++
        await sleep(backoffDelayMs(failures, Math.random, 100, 5_000), signal)
      }
    }
  }
}

function safeJson(data: Uint8Array | undefined): unknown {
  try {
    return JSON.parse(Buffer.from(data ?? new Uint8Array()).toString('utf8'))
  } catch {
    return undefined
  }
}
