import { createHash } from 'node:crypto'
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'

export interface ShardRange {
  shardId: string
  startingHashKey: bigint
  endingHashKey: bigint
}

/** The top 48 bits of a 128-bit hash key: enough to place almost every key without a BigInt. */
function top48(key: bigint): number {
  return Number(key >> 80n)
}

/**
 * Which open shard a partition key lands on: Kinesis places a record by the MD5 of its partition
 * key, read as a 128-bit number, within the shards' hash-key ranges. An aggregating producer
 * needs it so that every user record of an aggregate belongs to the shard the aggregate goes to
 * (a KCL consumer drops user records whose key falls outside its shard's range).
 */
export class ShardMap {
  private readonly starts: number[]
  private readonly startKeys: bigint[]

  constructor(readonly ranges: readonly ShardRange[]) {
    if (ranges.length === 0) throw new Error('a stream with no open shard')
    this.starts = ranges.map((range) => top48(range.startingHashKey))
    this.startKeys = ranges.map((range) => range.startingHashKey)
  }

  /** The open shards of a stream, by hash range (closed parents of a reshard are left out). */
  static async of(kinesis: Pick<KinesisClient, 'send'>, stream: string): Promise<ShardMap> {
    const ranges: ShardRange[] = []
    let nextToken: string | undefined
    do {
      const output = await kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: stream }))
      for (const shard of output.Shards ?? []) {
        if (!shard.ShardId || !shard.HashKeyRange || shard.SequenceNumberRange?.EndingSequenceNumber) continue
        ranges.push({ shardId: shard.ShardId, startingHashKey: BigInt(shard.HashKeyRange.StartingHashKey!), endingHashKey: BigInt(shard.HashKeyRange.EndingHashKey!) })
      }
      nextToken = output.NextToken
    } while (nextToken)
    return new ShardMap(ranges.sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1)))
  }

  /** The index in `ranges` of the shard that takes this partition key. */
  indexOf(partitionKey: string): number {
    const digest = createHash('md5').update(partitionKey).digest()
    const high = digest.readUIntBE(0, 6)
    // The last shard whose start is at or below the key; equal top bits need the full comparison.
    let low = 0
    let highIndex = this.starts.length - 1
    while (low < highIndex) {
      const mid = (low + highIndex + 1) >> 1
      if (this.starts[mid] < high) low = mid
      else if (this.starts[mid] > high) highIndex = mid - 1
      else if (this.startKeys[mid] <= BigInt(`0x${digest.toString('hex')}`)) low = mid
      else highIndex = mid - 1
    }
    return low
  }
}
