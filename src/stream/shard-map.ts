import { hash } from 'node:crypto'
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'

export interface ShardRange {
  shardId: string
  startingHashKey: bigint
  endingHashKey: bigint
}

/** A record's hash key: the MD5 of its partition key as a 128-bit integer, or its explicit hash key. */
export function hashKeyOf(partitionKey: string, explicitHashKey?: string): bigint {
  if (explicitHashKey !== undefined) return BigInt(explicitHashKey)
  return BigInt(`0x${md5Hex(partitionKey)}`)
}

/** One-shot and as hex: about 3 times faster than a Hash object and a Buffer per record (the emulator hashes every record twice). */
function md5Hex(partitionKey: string): string {
  return hash('md5', partitionKey, 'hex')
}

/** The top 48 bits of a 128-bit hash key: enough to place almost every key without a BigInt. */
function top48(key: bigint): number {
  return Number(key >> 80n)
}

/**
 * Kinesis' record placement, the one implementation: a record goes to the open shard whose
 * hash-key range holds the MD5 of its partition key (read as a 128-bit number), or its explicit
 * hash key. The embedded Kinesis places records with it, its front charges shard limits with it,
 * and an aggregating producer packs by it (a KCL consumer drops user records whose key falls
 * outside its shard's range). Ranges must cover the hash space without a gap, as open shards do.
 */
export class ShardMap {
  readonly ranges: readonly ShardRange[]
  private readonly starts: number[]

  constructor(ranges: readonly ShardRange[]) {
    if (ranges.length === 0) throw new Error('a stream with no open shard')
    this.ranges = [...ranges].sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1))
    this.starts = this.ranges.map((range) => top48(range.startingHashKey))
  }

  /** The open shards of a stream, by hash range (closed parents of a reshard are left out). */
  static async of(kinesis: Pick<KinesisClient, 'send'>, stream: string): Promise<ShardMap> {
    return new ShardMap((await listShards(kinesis, stream)).filter((shard) => !shard.closed))
  }

  /** The index in `ranges` of the shard that takes this record. */
  indexOf(partitionKey: string, explicitHashKey?: string): number {
    if (explicitHashKey !== undefined) return this.indexOfKey(BigInt(explicitHashKey))
    const digest = md5Hex(partitionKey)
    const high = parseInt(digest.slice(0, 12), 16)
    // The last shard whose start is at or below the key; equal top bits need the full comparison.
    let low = 0
    let highIndex = this.starts.length - 1
    while (low < highIndex) {
      const mid = (low + highIndex + 1) >> 1
      if (this.starts[mid] < high) low = mid
      else if (this.starts[mid] > high) highIndex = mid - 1
      else return this.indexOfKey(BigInt(`0x${digest}`))
    }
    return low
  }

  /** The shard that takes this record. */
  shardOf(partitionKey: string, explicitHashKey?: string): ShardRange {
    return this.ranges[this.indexOf(partitionKey, explicitHashKey)]
  }

  /** The shard whose range holds a hash key. */
  shardOfKey(key: bigint): ShardRange {
    return this.ranges[this.indexOfKey(key)]
  }

  private indexOfKey(key: bigint): number {
    let low = 0
    let high = this.ranges.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (this.ranges[mid].startingHashKey <= key) low = mid
      else high = mid - 1
    }
    return low
  }
}

/** A shard as ListShards describes it: its hash range, its parents, and whether a reshard closed it. */
export interface ListedShard extends ShardRange {
  parentShardIds: string[]
  /** Closed by a reshard: it takes no more records (it may still hold some to read). */
  closed: boolean
}

/** Every shard of a stream, open and closed, across ListShards pages. */
export async function listShards(kinesis: Pick<KinesisClient, 'send'>, stream: string): Promise<ListedShard[]> {
  const shards: ListedShard[] = []
  let nextToken: string | undefined
  do {
    const output = await kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: stream }))
    for (const shard of output.Shards ?? []) {
      if (!shard.ShardId || !shard.HashKeyRange) continue
      shards.push({
        shardId: shard.ShardId,
        startingHashKey: BigInt(shard.HashKeyRange.StartingHashKey!),
        endingHashKey: BigInt(shard.HashKeyRange.EndingHashKey!),
        parentShardIds: [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => id !== undefined),
        closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
      })
    }
    nextToken = output.NextToken
  } while (nextToken)
  return shards
}
