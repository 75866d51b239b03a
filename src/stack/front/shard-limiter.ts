/**
 * Kinesis' per-shard limits (AWS documentation, "Quotas and limits"): writes up to 1,000 records
 * and 1 MiB (data plus partition key) per second per shard; reads up to 5 GetRecords calls and
 * 2 MiB per second per shard. Each limit is a token bucket holding one second of its rate, refilled
 * continuously: a shard absorbs a one-second burst, and sustained traffic above the rate is refused.
 */
export const KINESIS_SHARD_LIMITS = {
  writeRecordsPerSec: 1_000,
  writeBytesPerSec: 1_048_576,
  readCallsPerSec: 5,
  readBytesPerSec: 2_097_152,
} as const

export type ShardLimits = { -readonly [K in keyof typeof KINESIS_SHARD_LIMITS]: number }

class TokenBucket {
  private tokens: number
  private updatedAt: number

  constructor(
    private readonly ratePerSec: number,
    now: number,
  ) {
    this.tokens = ratePerSec
    this.updatedAt = now
  }

  available(now: number): number {
    this.tokens = Math.min(this.ratePerSec, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSec)
    this.updatedAt = now
    return this.tokens
  }

  take(amount: number): void {
    this.tokens -= amount
  }
}

interface ShardBuckets {
  writeRecords: TokenBucket
  writeBytes: TokenBucket
  readCalls: TokenBucket
  readBytes: TokenBucket
}

/** The buckets of every shard of every stream, keyed by `stream/shardId`. Times are milliseconds. */
export class ShardLimiter {
  private readonly shards = new Map<string, ShardBuckets>()

  constructor(
    private readonly limits: ShardLimits = { ...KINESIS_SHARD_LIMITS },
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** One record of `bytes` (data plus partition key) to a shard: false when the shard is over its write limit. */
  admitWrite(shard: string, bytes: number): boolean {
    const now = this.clock()
    const b = this.buckets(shard, now)
    if (b.writeRecords.available(now) < 1 || b.writeBytes.available(now) < bytes) return false
    b.writeRecords.take(1)
    b.writeBytes.take(bytes)
    return true
  }

  /** One GetRecords call: false when the shard is over its call rate, or still paying for bytes read. */
  admitRead(shard: string): boolean {
    const now = this.clock()
    const b = this.buckets(shard, now)
    // AWS lets one call return up to 10 MiB and then refuses reads until the shard's byte rate has
    // paid for it: the byte bucket may go negative, and reads wait until it is positive again.
    if (b.readCalls.available(now) < 1 || b.readBytes.available(now) <= 0) return false
    b.readCalls.take(1)
    return true
  }

  /** Charges the bytes a GetRecords call returned. */
  chargeRead(shard: string, bytes: number): void {
    const now = this.clock()
    const b = this.buckets(shard, now)
    b.readBytes.available(now)
    b.readBytes.take(bytes)
  }

  private buckets(shard: string, now: number): ShardBuckets {
    let b = this.shards.get(shard)
    if (!b) {
      b = {
        writeRecords: new TokenBucket(this.limits.writeRecordsPerSec, now),
        writeBytes: new TokenBucket(this.limits.writeBytesPerSec, now),
        readCalls: new TokenBucket(this.limits.readCallsPerSec, now),
        readBytes: new TokenBucket(this.limits.readBytesPerSec, now),
      }
      this.shards.set(shard, b)
    }
    return b
  }
}
