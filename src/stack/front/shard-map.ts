import { createHash } from 'node:crypto'

export interface ShardRange {
  shardId: string
  startingHashKey: bigint
  endingHashKey: bigint
}

/** Kinesis' record placement: the MD5 of the partition key, as a 128-bit integer, or the explicit hash key. */
export function hashKeyOf(partitionKey: string, explicitHashKey?: string): bigint {
  if (explicitHashKey !== undefined) return BigInt(explicitHashKey)
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`)
}

/** The open shard whose hash key range holds `hashKey`, or undefined (a stale map). */
export function shardFor(ranges: readonly ShardRange[], hashKey: bigint): string | undefined {
  for (const range of ranges) if (hashKey >= range.startingHashKey && hashKey <= range.endingHashKey) return range.shardId
  return undefined
}
