import { KINESIS_SHARD_LIMITS } from './front/shard-limiter.js'

/** Shards are planned to carry at most this share of their write capacity, leaving room for retries and bursts. */
const PLANNED_USE = 0.8
const MIN_SHARDS = 2
const MAX_SHARDS = 64
const PLANNED_DECISION_BYTES = 400
const PLANNED_TRANSACTION_BYTES = 600

/**
 * What one shard takes for a rate's transactions: 1,000 records a second, or 1 MiB a second, the
 * one that binds first (planning 600 bytes a transaction, JSON and partition key). Packed in KPL
 * aggregates, records are few and only the bytes bind.
 */
function shardsNeeded(offeredRatePerSec: number, aggregated: boolean): number {
  const byBytes = (offeredRatePerSec * PLANNED_TRANSACTION_BYTES) / (KINESIS_SHARD_LIMITS.writeBytesPerSec * PLANNED_USE)
  const byRecords = offeredRatePerSec / (KINESIS_SHARD_LIMITS.writeRecordsPerSec * PLANNED_USE)
  return Math.ceil(aggregated ? byBytes : Math.max(byBytes, byRecords))
}

/** Enough shards for a rate at 80% of a shard's capacity, at least 2. */
export function shardsForRate(offeredRatePerSec: number, options: { aggregated?: boolean } = {}): number {
  const needed = shardsNeeded(offeredRatePerSec, options.aggregated ?? false)
  return Math.min(MAX_SHARDS, Math.max(MIN_SHARDS, Number.isFinite(needed) ? needed : MIN_SHARDS))
}

/**
 * Decisions travel aggregated (a few Kinesis records a second per scorer shard), so bytes, not
 * records, size their stream: at most half of Kinesis' 1 MiB a second per shard, planning 400
 * bytes a decision, at least 1 (2 for a rate not known yet, as for transactions).
 */
export function decisionShardsForRate(offeredRatePerSec: number): number {
  const needed = Math.ceil((offeredRatePerSec * PLANNED_DECISION_BYTES) / (KINESIS_SHARD_LIMITS.writeBytesPerSec * 0.5))
  return Math.min(MAX_SHARDS, Math.max(1, Number.isFinite(needed) ? needed : MIN_SHARDS))
}

/** A warning when the offered rate needs more shards than the stream has (records or bytes, whichever binds). */
export function shardCapacityWarning(offeredRatePerSec: number, shards: number, options: { aggregated?: boolean } = {}): string | undefined {
  const aggregated = options.aggregated ?? false
  if (!(offeredRatePerSec > 0) || !(shardsNeeded(offeredRatePerSec, aggregated) > shards)) return undefined
  const needed = shardsNeeded(offeredRatePerSec, aggregated)
  const recordsCapacity = shards * KINESIS_SHARD_LIMITS.writeRecordsPerSec
  const byteBound = aggregated || (offeredRatePerSec * PLANNED_TRANSACTION_BYTES) / KINESIS_SHARD_LIMITS.writeBytesPerSec > offeredRatePerSec / KINESIS_SHARD_LIMITS.writeRecordsPerSec
  const over = byteBound ? (offeredRatePerSec * PLANNED_TRANSACTION_BYTES) / KINESIS_SHARD_LIMITS.writeBytesPerSec > shards : offeredRatePerSec > recordsCapacity
  const capacity = byteBound ? `${shards} MiB/s at 1 MiB per shard, about ${PLANNED_TRANSACTION_BYTES} bytes a transaction${aggregated ? ', aggregated' : ''}` : `${recordsCapacity} records/s at 1,000 per shard`
  return `${Math.round(offeredRatePerSec)} transactions/s ${over ? 'exceeds' : 'is close to'} what ${shards === 1 ? '1 shard takes' : `${shards} shards take`} (${capacity}): expect throttling and retries; --shards ${needed} leaves headroom.`
}
