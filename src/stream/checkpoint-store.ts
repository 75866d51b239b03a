import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { withRetries } from '../aws/backoff.js'
import { nowMs } from '../util/clock.js'

/**
 * Where a shard reader keeps the last sequence number it finished, per shard. The reader is its
 * only user, so that a lease table can later replace this one implementation in one place.
 */
export interface CheckpointStore {
  read(shardId: string): Promise<string | undefined>
  write(shardId: string, sequenceNumber: string): Promise<void>
}

/**
 * Saves a shard's position unless it is the one saved last, and marks it saved on `shard` (the
 * position given, not one a page finished during the write): true when it wrote, counted (with its
 * time) in `stats`. The polling reader and the fan-out subscriber both checkpoint through it.
 */
export async function saveCheckpoint(
  store: CheckpointStore | undefined,
  shard: { shardId: string; checkpointed: string | undefined },
  sequenceNumber: string | undefined,
  stats: { checkpointsWritten: number; checkpointMs: number },
): Promise<boolean> {
  if (!store || !sequenceNumber || sequenceNumber === shard.checkpointed) return false
  const startedAt = nowMs()
  await store.write(shard.shardId, sequenceNumber)
  shard.checkpointed = sequenceNumber
  stats.checkpointsWritten++
  stats.checkpointMs += nowMs() - startedAt
  return true
}

/** Checkpoints in a DynamoDB table, one item per consumer, stream and shard. */
export class DynamoDbCheckpointStore implements CheckpointStore {
  writes = 0
  retries = 0

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly key: { consumerName: string; stream: string; owner: string },
  ) {}

  leaseKey(shardId: string): string {
    return `${this.key.consumerName}|${this.key.stream}|${shardId}`
  }

  async read(shardId: string): Promise<string | undefined> {
    const output = await withRetries(
      () => this.dynamodb.send(new GetItemCommand({ TableName: this.table, Key: { leaseKey: { S: this.leaseKey(shardId) } }, ConsistentRead: true })),
      { onRetry: () => this.retries++ },
    )
    return output.Item?.sequenceNumber?.S
  }

  async write(shardId: string, sequenceNumber: string): Promise<void> {
    await withRetries(
      () =>
        this.dynamodb.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              leaseKey: { S: this.leaseKey(shardId) },
              sequenceNumber: { S: sequenceNumber },
              owner: { S: this.key.owner },
              updatedAt: { S: new Date().toISOString() },
            },
          }),
        ),
      { onRetry: () => this.retries++ },
    )
    this.writes++
  }
}
