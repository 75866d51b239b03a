import type { AwsEndpoints } from '../aws/endpoints.js'
import { DecisionSchema, type Decision } from '../schema/decision.js'
import { compileFastCheck } from '../schema/fast-check.js'
import { createFanOutClient, type KinesisDataClient } from '../stream/kinesis-client.js'
import { ShardReader, type ShardBatch } from '../stream/shard-reader.js'
import { COLLECTOR_CONSUMER_NAME } from '../stream/consumer-names.js'
import { ShardSubscriber } from '../stream/shard-subscriber.js'
import type { RunLedger } from './run-ledger.js'

export interface DecisionCollectorOptions {
  pollIntervalMs?: number
  /** Read by enhanced fan-out (a stream consumer of its own) rather than by polling. */
  fanOut?: { endpoints: AwsEndpoints; consumerTags?: Record<string, string> }
}

/** The longest the collector reads decisions without letting the load generator run. */
const SLICE_MS = 1

/** Modest pages: a 10,000-record page is ~5 MB of JSON per shard, which a run would hold at once. */
const DECISIONS_PER_CALL = 2_000

/**
 * Reads the decisions stream from the moment it starts (LATEST, taken before any load), validates
 * each decision and hands it to the ledger, which joins it with labels and drops duplicates.
 */
export class DecisionCollector {
  /** Records on the decisions stream that break the contract (DecisionSchema): counted, never fatal. */
  invalidDecisions = 0
  /** What was wrong with the first of them, and how it began. */
  firstInvalid?: string
  error?: Error
  private readonly reader: ShardReader | ShardSubscriber
  private readonly fanOutClient?: KinesisDataClient
  private readonly controller = new AbortController()
  private reading: Promise<void> = Promise.resolve()

  constructor(
    kinesis: KinesisDataClient,
    stream: string,
    private readonly ledger: RunLedger,
    options: DecisionCollectorOptions = {},
  ) {
    const handler = (batch: ShardBatch) => this.collect(batch)
    if (options.fanOut) {
      this.fanOutClient = createFanOutClient(options.fanOut.endpoints)
      this.reader = new ShardSubscriber({ kinesis, subscriber: this.fanOutClient, stream, consumerName: COLLECTOR_CONSUMER_NAME, consumerTags: options.fanOut.consumerTags, handler, startAt: 'LATEST' })
    } else {
      this.reader = new ShardReader({ kinesis, stream, handler, startAt: 'LATEST', pollIntervalMs: options.pollIntervalMs ?? 200, recordsPerCall: DECISIONS_PER_CALL })
    }
  }

  get retried(): number {
    return this.reader.stats.retried
  }

  /** Positions the reader at the tip of every shard (an iterator, or an open subscription); call before the load starts. */
  async prepare(): Promise<void> {
    await this.reader.open()
  }

  start(): void {
    this.reading = this.reader.run(this.controller.signal).catch((error: Error) => void (this.error ??= error))
  }

  async stop(): Promise<void> {
    this.controller.abort()
    await this.reading
    this.fanOutClient?.destroy()
  }

  /**
   * A page of a few thousand decisions takes milliseconds to read: it is read in slices, giving the
   * event loop back between them, so that the load generator in this process keeps its schedule.
   */
  private async collect({ records, fetchedAtMs: observedAt }: ShardBatch): Promise<void> {
    let sliceStartedAt = performance.now()
    for (let i = 0; i < records.length; i++) {
      const read = readDecision(records[i].Data)
      if ('decision' in read) this.ledger.recordDecision(read.decision, observedAt)
      else {
        this.invalidDecisions++
        this.firstInvalid ??= read.invalid
      }
      if ((i & 31) === 31 && performance.now() - sliceStartedAt > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve))
        sliceStartedAt = performance.now()
      }
    }
  }
}

const isDecision = compileFastCheck(DecisionSchema)

/** A decisions-stream record checked against the contract: the decision, or what is wrong with it and how it began. */
export function readDecision(data: Uint8Array | undefined): { decision: Decision } | { invalid: string } {
  const text = Buffer.from(data ?? new Uint8Array()).toString('utf8')
  const excerpt = () => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { invalid: `not JSON (in ${excerpt()})` }
  }
  if (isDecision(json)) return { decision: json }
  const parsed = DecisionSchema.safeParse(json)
  if (parsed.success) return { decision: parsed.data }
  const [issue] = parsed.error.issues
  return { invalid: `${issue.path.join('.') || 'the record'}: ${issue.message} (in ${excerpt()})` }
}
