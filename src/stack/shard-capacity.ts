import { KINESIS_SHARD_LIMITS } from './front/shard-limiter.js'

/** Kinesis takes 1,000 records a second per shard: a warning when the offered rate needs more shards. */
export function shardCapacityWarning(offeredRatePerSec: number, shards: number): string | undefined {
  const capacity = shards * KINESIS_SHARD_LIMITS.writeRecordsPerSec
  if (!(offeredRatePerSec > capacity * 0.8)) return undefined
  const needed = Math.ceil(offeredRatePerSec / (KINESIS_SHARD_LIMITS.writeRecordsPerSec * 0.8))
  return `${Math.round(offeredRatePerSec)} transactions/s ${offeredRatePerSec > capacity ? 'exceeds' : 'is close to'} what ${shards === 1 ? '1 shard takes' : `${shards} shards take`} (${capacity} records/s at 1,000 per shard): expect throttling and retries; --shards ${needed} leaves headroom.`
}
