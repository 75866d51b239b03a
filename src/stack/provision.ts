import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { CreateTopicCommand, type SNSClient } from '@aws-sdk/client-sns'
import { errorName } from '../aws/backoff.js'
import { sleep } from '../util/clock.js'
import type { ResourceNames } from './resource-names.js'

export interface ProvisionRequest {
  names: ResourceNames
  transactionShards: number
  decisionShards: number
}

export interface ProvisionedResources {
  names: ResourceNames
  alertsTopicArn: string
  /** Shard counts as found: an existing stream keeps its own count. */
  transactionShards: number
  decisionShards: number
  created: string[]
}

/**
 * Creates whatever is missing and leaves what exists alone, so it is safe to run before every
 * run. Waits until streams and tables are ACTIVE.
 */
export async function provision(
  clients: { kinesis: KinesisClient; dynamodb: DynamoDBClient; sns: SNSClient },
  request: ProvisionRequest,
  options: { timeoutMs?: number } = {},
): Promise<ProvisionedResources> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  const created: string[] = []
  const { names } = request
  const [transactionShards, decisionShards] = await Promise.all([
    ensureStream(clients.kinesis, names.transactionsStream, request.transactionShards, created, deadline),
    ensureStream(clients.kinesis, names.decisionsStream, request.decisionShards, created, deadline),
    ensureTable(clients.dynamodb, names.blockListTable, [['account', 'HASH'], ['transactionId', 'RANGE']], created, deadline),
    ensureTable(clients.dynamodb, names.checkpointsTable, [['leaseKey', 'HASH']], created, deadline),
  ])
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: names.alertsTopic }))
  if (!topic.TopicArn) throw new Error(`CreateTopic ${names.alertsTopic} returned no TopicArn`)
  return { names, alertsTopicArn: topic.TopicArn, transactionShards, decisionShards, created }
}

async function ensureStream(kinesis: KinesisClient, name: string, shards: number, created: string[], deadline: number): Promise<number> {
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }))
    created.push(`stream ${name} (${shards} shards)`)
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error
  }
  for (;;) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))
    if (summary?.StreamStatus === 'ACTIVE') return summary.OpenShardCount ?? shards
    if (Date.now() > deadline) throw new Error(`stream ${name} is still ${summary?.StreamStatus}; gave up waiting for ACTIVE`)
    await sleep(100)
  }
}

async function ensureTable(
  dynamodb: DynamoDBClient,
  name: string,
  keys: Array<[string, 'HASH' | 'RANGE']>,
  created: string[],
  deadline: number,
): Promise<number> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map(([attribute]) => ({ AttributeName: attribute, AttributeType: 'S' })),
        KeySchema: keys.map(([attribute, type]) => ({ AttributeName: attribute, KeyType: type })),
      }),
    )
    created.push(`table ${name}`)
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error
  }
  for (;;) {
    const { Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }))
    if (table?.TableStatus === 'ACTIVE') return 0
    if (Date.now() > deadline) throw new Error(`table ${name} is still ${table?.TableStatus}; gave up waiting for ACTIVE`)
    await sleep(100)
  }
}
