import type { RunLedger } from '../collector/run-ledger.js'
import type { ArrivalSchedule } from '../load/arrival-schedule.js'
import type { OfferedWindow } from '../load/offered-window.js'
import { runOpenModel } from '../load/open-model-runner.js'
import type { PauseGate } from '../load/pause-gate.js'
import type { RunSource } from '../load/run-source.js'
import { inSegment, type Segment } from '../load/segment.js'
import { AggregatingWriter } from '../stream/aggregating-writer.js'
import { BatchingProducer, type ProducerHooks, type RecordWriter } from '../stream/batching-producer.js'
import { ShardMap } from '../stream/shard-map.js'
import type { KinesisDataClient } from '../stream/kinesis-client.js'
import { nowMs, sleep } from '../util/clock.js'

export interface LoadRequest {
  source: RunSource
  schedule: ArrivalSchedule
  offeredRatePerSec: number
  maxLatenessMs: number
  pause?: PauseGate
  /** Aborting it stops the load (Ctrl-C, or a fatal error). */
  signal: AbortSignal
  /** This host's part of a run split across hosts: the other accounts' transactions are generated, not sent. */
  segment?: Segment
  /** When the load starts (epoch ms), if not at once: the segments of a split run start together. */
  startAtMs?: number
}

export interface LoadResult {
  loadStartedAtMs: number
  late: number
  backpressureWaits: number
}

/**
 * Phase 5: the open-model load. Each transaction is generated at its scheduled time, recorded in
 * the ledger with its label, and handed to the stream writer without it. Returns when the
 * schedule or the source ends, or `signal` aborts; the writer may still hold records (the drain
 * flushes it). `onStart` learns the load's start time before the first send.
 */
export async function runLoad(
  request: LoadRequest,
  producer: RecordWriter<number>,
  ledger: RunLedger,
  window: OfferedWindow,
  onStart: (atMs: number) => void,
): Promise<LoadResult> {
  const { source, segment } = request
  // Two seconds of load, within bounds: beyond it transactions wait (late) or drop; memory stays bounded.
  const maxBacklog = Math.min(50_000, Math.max(5_000, Math.ceil(request.offeredRatePerSec * 2)))
  const loadStartedAtMs = request.startAtMs ?? nowMs() + 10
  /** Another host's transaction (`--segment`): its place in the sequence noted, nothing sent or dropped here. */
  const leftToOthers = (index: number, account: string) => {
    if (!segment || inSegment(segment, account)) return false
    ledger.recordOtherSegment(index)
    return true
  }
  window.open(loadStartedAtMs)
  onStart(loadStartedAtMs)
  const load = await runOpenModel({
    schedule: request.schedule,
    startAtMs: loadStartedAtMs,
    now: nowMs,
    wait: (ms) => (ms <= 0 ? new Promise((resolve) => setImmediate(resolve)) : sleep(ms)),
    canEmit: () => producer.backlog < maxBacklog,
    source,
    maxLatenessMs: request.maxLatenessMs,
    signal: request.signal,
    pause: request.pause,
    emit: (index, scheduledAtMs) => {
      const { transaction, label } = source.next()
      if (leftToOthers(index, transaction.account)) return
      // The ledger's id for the i-th transaction, whatever the source numbered (a warm-up history took the first numbers).
      transaction.id = ledger.transactionId(index)
      ledger.recordEmitted(index, scheduledAtMs, label)
      producer.put(index, transaction.account, Buffer.from(JSON.stringify(transaction)))
    },
    // A dropped transaction is still generated, so the i-th transaction is the same at any rate.
    drop: (index, scheduledAtMs) => {
      const { transaction, label } = source.next()
      if (leftToOthers(index, transaction.account)) return
      ledger.recordDropped(index, scheduledAtMs, label)
    },
  })
  return { loadStartedAtMs, late: load.late, backpressureWaits: load.backpressureWaits }
}

const TRANSACTIONS_LINGER_MS = 5

/**
 * The stream writer of a run's transactions: the ledger learns of every send, ack and failure.
 * With `aggregate`, transactions bound for one shard travel packed in KPL aggregates.
 */
export async function openTransactionWriter(kinesis: KinesisDataClient, stream: string, ledger: RunLedger, options: { aggregate: boolean }): Promise<RecordWriter<number>> {
  const hooks: ProducerHooks<number> = {
    onSent: (index, atMs) => ledger.recordSent(index, atMs),
    onAcked: (index, atMs) => ledger.recordAcked(index, atMs),
    onFailed: (index) => ledger.recordProduceFailed(index),
  }
  // A transaction waits up to the linger before its PutRecords: time the decision latency counts (it is
  // measured from the scheduled time). 5 ms against 10 took 1.6–3.6 ms off the decision p99 at 5,000/s in four
  // pairs of runs, for about 8 µs more CLI CPU a transaction (twice the PutRecords calls).
  if (options.aggregate) return new AggregatingWriter<number>(kinesis, stream, await ShardMap.of(kinesis, stream), hooks, { lingerMs: TRANSACTIONS_LINGER_MS, producer: { maxInFlightRequests: 8 } })
  return new BatchingProducer<number>(kinesis, stream, hooks, { lingerMs: TRANSACTIONS_LINGER_MS, maxInFlightRequests: 8 })
}
