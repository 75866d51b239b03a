import { KINESIS_SHARD_LIMITS } from './front/shard-limiter.js'

/** Shards are planned to carry at most this share of their write capacity, leaving room for retries and bursts. */
const PLANNED_USE = 0.8
const MIN_SHARDS = 2
const MAX_SHARDS = 64
const PLANNED_DECISION_BYTES = 400

/** Enough shards for a rate: at most 80% of Kinesis' 1,000 records a second each, at least 2. */
export function shardsForRate(offeredRatePerSec: number): number {
  const needed = Math.ceil(offeredRatePerSec / (KINESIS_SHARD_LIMITS.writeRecordsPerSec * PLANNED_USE))
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

/** Kinesis takes 1,000 records a second per shard: a warning when the offered rate needs more shards. */
export function shardCapacityWarning(offeredRatePerSec: number, shards: number): string | undefined {
  const capacity = shards * KINESIS_SHARD_LIMITS.writeRecordsPerSec
  if (!(offeredRatePerSec > capacity * PLANNED_USE)) return undefined
  const needed = Math.ceil(offeredRatePerSec / (KINESIS_SHARD_LIMITS.writeRecordsPerSec * PLANNED_USE))
  return `${Math.round(offeredRatePerSec)} transactions/s ${offeredRatePerSec > capacity ? 'exceeds' : 'is close to'} what ${shards === 1 ? '1 shard takes' : `${shards} shards take`} (${capacity} records/s at 1,000 per shard): expect throttling and retries; --shards ${needed} leaves headroom.`
}
