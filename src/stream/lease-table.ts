import { GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { errorName, withRetries } from '../aws/backoff.js'

/**
 * One shard's lease, as the Kinesis Client Library keeps it: who holds it, a counter every write
 * moves (so other workers can tell a live holder from a dead one), and the position to resume
 * after. A `checkpoint` is a sequence number or one of KCL's sentinels (TRIM_HORIZON, LATEST,
 * SHARD_END).
 */
export interface Lease {
  leaseKey: string
  shardId: string
  leaseOwner: string | undefined
  leaseCounter: number
  checkpoint: string
  checkpointSubSequenceNumber: number
  ownerSwitchesSinceCheckpoint: number
  parentShardIds: string[]
}

export const TRIM_HORIZON = 'TRIM_HORIZON'
export const LATEST = 'LATEST'
export const SHARD_END = 'SHARD_END'

/** A shard and the shards it was split or merged from (none for a stream's first shards). */
export interface ShardLineage {
  shardId: string
  parentShardIds?: string[]
}

/** A conditional write refused: the lease is no longer what this worker expected (another took it). */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError'
  constructor(readonly leaseKey: string) {
    super(`the lease ${leaseKey} is held by another worker now`)
  }
}

/**
 * The lease items of one consumer group on one stream, in KCL's format: `leaseKey`, `leaseOwner`,
 * `leaseCounter`, `checkpoint`, `checkpointSubSequenceNumber`, `ownerSwitchesSinceCheckpoint`,
 * `parentShardId` (a string set). As KCL's multi-stream leases do, the key names the stream (and
 * here the group) before the shard, so that one table holds several groups. Every write is
 * conditional on the owner or counter its caller expects.
 */
export class LeaseTable {
  retries = 0

  constructor(
    private readonly dynamodb: DynamoDBClient,
    readonly table: string,
    readonly group: { consumerName: string; stream: string },
  ) {}

  leaseKeyOf(shardId: string): string {
    return `${this.group.consumerName}|${this.group.stream}|${shardId}`
  }

  /** Creates the lease of each shard that has none yet (free, at `checkpoint`); existing ones are kept. */
  async ensure(shards: ShardLineage[], checkpoint: string): Promise<void> {
    await Promise.all(
      shards.map(async ({ shardId, parentShardIds = [] }) => {
        const item: Record<string, AttributeValue> = {
          leaseKey: { S: this.leaseKeyOf(shardId) },
          leaseCounter: { N: '0' },
          checkpoint: { S: checkpoint },
          checkpointSubSequenceNumber: { N: '0' },
          ownerSwitchesSinceCheckpoint: { N: '0' },
        }
        // DynamoDB has no empty sets: a shard without parents has no parentShardId, as in KCL.
        if (parentShardIds.length) item.parentShardId = { SS: parentShardIds }
        try {
          await this.retried(() => this.dynamodb.send(new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(leaseKey)' })))
        } catch (error) {
          if (errorName(error) !== 'ConditionalCheckFailedException') throw error
        }
      }),
    )
  }

  /** Every lease of the group, read consistently. */
  async list(): Promise<Lease[]> {
    const leases: Lease[] = []
    let startKey: Record<string, AttributeValue> | undefined
    do {
      const exclusiveStartKey = startKey
      const output = await this.retried(() => this.dynamodb.send(
        new ScanCommand({
          TableName: this.table,
          ConsistentRead: true,
          FilterExpression: 'begins_with(leaseKey, :group)',
          ExpressionAttributeValues: { ':group': { S: this.leaseKeyOf('') } },
          ExclusiveStartKey: exclusiveStartKey,
        }),
      ))
      for (const item of output.Items ?? []) leases.push(this.leaseOf(item))
      startKey = output.LastEvaluatedKey
    } while (startKey)
    return leases.sort((a, b) => a.shardId.localeCompare(b.shardId))
  }

  /**
   * Takes `lease` for `owner` if it is still as last seen (same counter): a free or expired lease,
   * or one stolen from a live worker. Returns the lease as now held, or undefined if another
   * worker moved it first.
   */
  async take(lease: Lease, owner: string): Promise<Lease | undefined> {
    const switched = lease.leaseOwner !== owner
    try {
      await this.retried(() => this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { leaseKey: { S: lease.leaseKey } },
          UpdateExpression: 'SET leaseOwner = :owner, leaseCounter = :next, ownerSwitchesSinceCheckpoint = ownerSwitchesSinceCheckpoint + :switched',
          ConditionExpression: 'leaseCounter = :counter',
          ExpressionAttributeValues: { ':owner': { S: owner }, ':next': { N: String(lease.leaseCounter + 1) }, ':counter': { N: String(lease.leaseCounter) }, ':switched': { N: switched ? '1' : '0' } },
        }),
      ))
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error
      if (!(await this.isNow(lease.leaseKey, owner, lease.leaseCounter + 1))) return undefined
    }
    return { ...lease, leaseOwner: owner, leaseCounter: lease.leaseCounter + 1, ownerSwitchesSinceCheckpoint: lease.ownerSwitchesSinceCheckpoint + (switched ? 1 : 0) }
  }

  /** Moves the counter of a lease `owner` holds, so that others see it alive; throws LeaseLostError if it was taken. */
  async renew(leaseKey: string, owner: string, counter: number): Promise<number> {
    try {
      await this.conditional(leaseKey, {
        UpdateExpression: 'SET leaseCounter = :next',
        ConditionExpression: 'leaseOwner = :owner AND leaseCounter = :counter',
        ExpressionAttributeValues: { ':owner': { S: owner }, ':counter': { N: String(counter) }, ':next': { N: String(counter + 1) } },
      })
    } catch (error) {
      if (!(error instanceof LeaseLostError && (await this.isNow(leaseKey, owner, counter + 1)))) throw error
    }
    return counter + 1
  }

  /**
   * Whether the lease is `owner`'s at `counter`: after a refused take or renewal, that means an
   * earlier try of the same write was applied and its answer lost (a retry after a timeout), as
   * KCL also checks, rather than another worker having moved it.
   */
  private async isNow(leaseKey: string, owner: string, counter: number): Promise<boolean> {
    const { Item: item } = await this.retried(() => this.dynamodb.send(new GetItemCommand({ TableName: this.table, Key: { leaseKey: { S: leaseKey } }, ConsistentRead: true })))
    return item?.leaseOwner?.S === owner && Number(item.leaseCounter?.N) === counter
  }

  /**
   * Saves the position of a shard `owner` holds. Conditional on the owner only: a renewal may move
   * the counter meanwhile, and the owner alone tells whether the lease is still this worker's.
   */
  async checkpoint(leaseKey: string, owner: string, checkpoint: string): Promise<void> {
    await this.conditional(leaseKey, {
      UpdateExpression: 'SET checkpoint = :checkpoint, checkpointSubSequenceNumber = :zero, ownerSwitchesSinceCheckpoint = :zero',
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeValues: { ':owner': { S: owner }, ':checkpoint': { S: checkpoint }, ':zero': { N: '0' } },
    })
  }

  /** Gives a lease up (a graceful stop): free at once for the next worker, without waiting for it to expire. */
  async release(leaseKey: string, owner: string): Promise<void> {
    await this.conditional(leaseKey, {
      UpdateExpression: 'REMOVE leaseOwner SET leaseCounter = leaseCounter + :one',
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeValues: { ':owner': { S: owner }, ':one': { N: '1' } },
    })
  }

  private async conditional(leaseKey: string, update: Pick<ConstructorParameters<typeof UpdateItemCommand>[0], 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>): Promise<void> {
    try {
      await this.retried(() => this.dynamodb.send(new UpdateItemCommand({ TableName: this.table, Key: { leaseKey: { S: leaseKey } }, ...update })))
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') throw new LeaseLostError(leaseKey)
      throw error
    }
  }

  private retried<T>(call: () => Promise<T>): Promise<T> {
    return withRetries(call, { onRetry: () => this.retries++ })
  }

  private leaseOf(item: Record<string, AttributeValue>): Lease {
    const leaseKey = item.leaseKey.S!
    return {
      leaseKey,
      shardId: leaseKey.slice(this.leaseKeyOf('').length),
      leaseOwner: item.leaseOwner?.S,
      leaseCounter: Number(item.leaseCounter?.N ?? 0),
      checkpoint: item.checkpoint?.S ?? TRIM_HORIZON,
      checkpointSubSequenceNumber: Number(item.checkpointSubSequenceNumber?.N ?? 0),
      ownerSwitchesSinceCheckpoint: Number(item.ownerSwitchesSinceCheckpoint?.N ?? 0),
      parentShardIds: item.parentShardId?.SS ?? [],
    }
  }
}
