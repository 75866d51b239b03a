import { DecisionSchema } from '../schema/decision.js'
import type { KinesisDataClient } from '../stream/kinesis-client.js'
import { ShardReader, type ShardBatch } from '../stream/shard-reader.js'
import type { RunLedger } from './run-ledger.js'

/** Modest pages: a 10,000-record page is ~5 MB of JSON per shard, which a run would hold at once. */
const DECISIONS_PER_CALL = 2_000

/**
 * Reads the decisions stream from the moment it starts (LATEST, taken before any load), validates
 * each decision and hands it to the ledger, which joins it with labels and drops duplicates.
 */
export class DecisionCollector {
  invalidDecisions = 0
  error?: Error
  private readonly reader: ShardReader
  private readonly controller = new AbortController()
  private reading: Promise<void> = Promise.resolve()

  constructor(
    kinesis: KinesisDataClient,
    stream: string,
    private readonly ledger: RunLedger,
    pollIntervalMs = 200,
  ) {
    this.reader = new ShardReader({ kinesis, stream, handler: (batch) => this.collect(batch), startAt: 'LATEST', pollIntervalMs, recordsPerCall: DECISIONS_PER_CALL })
  }

  get retried(): number {
    return this.reader.stats.retried
  }

  /** Positions an iterator at the tip of every shard; call before the load starts. */
  async prepare(): Promise<void> {
    await this.reader.open()
  }

  start(): void {
    this.reading = this.reader.run(this.controller.signal).catch((error: Error) => void (this.error ??= error))
  }

  async stop(): Promise<void> {
    this.controller.abort()
    await this.reading
  }

  private collect({ records, fetchedAtMs: observedAt }: ShardBatch): void {
    for (const record of records) {
      const parsed = DecisionSchema.safeParse(safeJson(record.Data))
      if (parsed.success) this.ledger.recordDecision(parsed.data, observedAt)
      else this.invalidDecisions++
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
