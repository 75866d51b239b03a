import { CreateTableCommand, DescribeTableCommand, TagResourceCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { AddTagsToStreamCommand, CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { CreateTopicCommand, ListTopicsCommand, TagResourceCommand as TagTopicCommand, type SNSClient } from '@aws-sdk/client-sns'
import { errorName } from '../aws/backoff.js'
import { sleep } from '../util/clock.js'
import type { ResourceNames } from './resource-names.js'

export interface ProvisionRequest {
  names: ResourceNames
  transactionShards: number
  decisionShards: number
}

/**
 * Tags on everything fraudlab creates (and only on that: a resource that existed before keeps its
 * tags), so that `stack down --target aws` deletes what fraudlab made and nothing else. Kinesis tag
 * keys may not hold ':', hence the dash.
 */
export const MANAGED_TAG = 'fraudlab-managed'
export const PREFIX_TAG = 'fraudlab-prefix'

export function managedTags(names: ResourceNames): Array<{ Key: string; Value: string }> {
  return [
    { Key: MANAGED_TAG, Value: 'true' },
    { Key: PREFIX_TAG, Value: names.prefix },
  ]
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
    ensureStream(clients.kinesis, names.transactionsStream, request.transactionShards, names, created, deadline),
    ensureStream(clients.kinesis, names.decisionsStream, request.decisionShards, names, created, deadline),
    ensureTable(clients.dynamodb, names.blockListTable, TABLE_KEYS.blockList, names, created, deadline),
    ensureTable(clients.dynamodb, names.checkpointsTable, TABLE_KEYS.checkpoints, names, created, deadline),
  ])
  const existed = await topicExists(clients.sns, names.alertsTopic)
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: names.alertsTopic }))
  if (!topic.TopicArn) throw new Error(`CreateTopic ${names.alertsTopic} returned no TopicArn`)
  if (!existed) {
    await clients.sns.send(new TagTopicCommand({ ResourceArn: topic.TopicArn, Tags: managedTags(names) }))
    created.push(`topic ${names.alertsTopic}`)
  }
  return { names, alertsTopicArn: topic.TopicArn, transactionShards, decisionShards, created }
}

/** The tables' key schemas (the LocalStack ready hook creates the same). */
export const TABLE_KEYS: Record<'blockList' | 'checkpoints', Array<[string, 'HASH' | 'RANGE']>> = {
  blockList: [
    ['account', 'HASH'],
    ['transactionId', 'RANGE'],
  ],
  checkpoints: [['leaseKey', 'HASH']],
}

async function topicExists(sns: SNSClient, name: string): Promise<boolean> {
  let NextToken: string | undefined
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken }))
    if (page.Topics?.some((t) => t.TopicArn?.endsWith(`:${name}`))) return true
    NextToken = page.NextToken
  } while (NextToken)
  return false
}

async function ensureStream(kinesis: KinesisClient, name: string, shards: number, names: ResourceNames, created: string[], deadline: number): Promise<number> {
  let createdNow = false
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }))
    created.push(`stream ${name} (${shards} shards)`)
    createdNow = true
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error
  }
  for (;;) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))
    if (summary?.StreamStatus === 'ACTIVE') {
      if (createdNow) await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: Object.fromEntries(managedTags(names).map((t) => [t.Key, t.Value])) }))
      return summary.OpenShardCount ?? shards
    }
    if (Date.now() > deadline) throw new Error(`stream ${name} is still ${summary?.StreamStatus}; gave up waiting for ACTIVE`)
    await sleep(100)
  }
}

async function ensureTable(
  dynamodb: DynamoDBClient,
  name: string,
  keys: Array<[string, 'HASH' | 'RANGE']>,
  names: ResourceNames,
  created: string[],
  deadline: number,
): Promise<number> {
  let createdNow = false
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
    createdNow = true
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error
  }
  for (;;) {
    const { Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }))
    if (table?.TableStatus === 'ACTIVE') {
      if (createdNow && table.TableArn) await dynamodb.send(new TagResourceCommand({ ResourceArn: table.TableArn, Tags: managedTags(names) }))
      return 0
    }
    if (Date.now() > deadline) throw new Error(`table ${name} is still ${table?.TableStatus}; gave up waiting for ACTIVE`)
    await sleep(100)
  }
}
