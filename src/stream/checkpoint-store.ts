import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { withRetries } from '../aws/backoff.js'

/** The last sequence number processed per shard, in the checkpoints table. */
export class CheckpointStore {
  writes = 0
  retries = 0

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly consumerName: string,
  ) {}

  leaseKey(stream: string, shardId: string): string {
    return `${this.consumerName}|${stream}|${shardId}`
  }

  async read(stream: string, shardId: string): Promise<string | undefined> {
    const output = await withRetries(
      () => this.dynamodb.send(new GetItemCommand({ TableName: this.table, Key: { leaseKey: { S: this.leaseKey(stream, shardId) } }, ConsistentRead: true })),
      { onRetry: () => this.retries++ },
    )
    return output.Item?.sequenceNumber?.S
  }

  async write(stream: string, shardId: string, sequenceNumber: string, owner: string): Promise<void> {
    await withRetries(
      () =>
        this.dynamodb.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              leaseKey: { S: this.leaseKey(stream, shardId) },
              sequenceNumber: { S: sequenceNumber },
              owner: { S: owner },
              updatedAt: { S: new Date().toISOString() },
            },
          }),
        ),
      { onRetry: () => this.retries++ },
    )
    this.writes++
  }
}
