import { CreateTableCommand, DescribeTableCommand, TagResourceCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { AddTagsToStreamCommand, CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { CreateTopicCommand, ListTopicsCommand, TagResourceCommand as TagTopicCommand, type SNSClient } from '@aws-sdk/client-sns'
import { errorName } from '../aws/backoff.js'
import { UserError } from '../errors/user-error.js'
import { sleep } from '../util/clock.js'
import type { ResourceNames } from './resource-names.js'

export interface ProvisionRequest {
  names: ResourceNames & { userOwned?: ReadonlySet<string> }
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

/** Whether fraudlab created a resource for this prefix, from its tags alone (the name is not enough). */
export function isManagedBy(tags: ReadonlyArray<{ Key?: string; Value?: string }>, prefix: string): boolean {
  const value = (key: string) => tags.find((t) => t.Key === key)?.Value
  return value(MANAGED_TAG) === 'true' && value(PREFIX_TAG) === prefix
}

/** The same tags in the form RegisterStreamConsumer takes: a consumer fraudlab registers is found and removed by `stack down`. */
export function managedConsumerTags(names: ResourceNames): Record<string, string> {
  return Object.fromEntries(managedTags(names).map(({ Key, Value }) => [Key, Value]))
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
  const userOwned = names.userOwned ?? new Set<string>()
  const [transactionShards, decisionShards] = await Promise.all([
    userOwned.has('transactionsStream') ? existingStream(clients.kinesis, names.transactionsStream, '--transactions-stream') : ensureStream(clients.kinesis, names.transactionsStream, request.transactionShards, names, created, deadline),
    userOwned.has('decisionsStream') ? existingStream(clients.kinesis, names.decisionsStream, '--decisions-stream') : ensureStream(clients.kinesis, names.decisionsStream, request.decisionShards, names, created, deadline),
    userOwned.has('blockListTable') ? existingTable(clients.dynamodb, names.blockListTable, '--blocklist-table') : ensureTable(clients.dynamodb, names.blockListTable, TABLE_KEYS.blockList, names, created, deadline),
    ensureTable(clients.dynamodb, names.leaseTable, TABLE_KEYS.leases, names, created, deadline),
  ])
  const existed = await topicArn(clients.sns, names.alertsTopic)
  if (userOwned.has('alertsTopic')) {
    if (!existed) throw new UserError(`--alerts-topic ${names.alertsTopic}: no such topic on this target.`, { hint: 'Give the name of an existing SNS topic (not its ARN), or leave the flag out and fraudlab creates one.' })
    return { names, alertsTopicArn: existed, transactionShards, decisionShards, created }
  }
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: names.alertsTopic }))
  if (!topic.TopicArn) throw new Error(`CreateTopic ${names.alertsTopic} returned no TopicArn`)
  if (!existed) {
    await clients.sns.send(new TagTopicCommand({ ResourceArn: topic.TopicArn, Tags: managedTags(names) }))
    created.push(`topic ${names.alertsTopic}`)
  }
  return { names, alertsTopicArn: topic.TopicArn, transactionShards, decisionShards, created }
}

/** The tables' key schemas (the LocalStack ready hook creates the same). */
export const TABLE_KEYS: Record<'blockList' | 'leases', Array<[string, 'HASH' | 'RANGE']>> = {
  blockList: [
    ['account', 'HASH'],
    ['transactionId', 'RANGE'],
  ],
  leases: [['leaseKey', 'HASH']],
}

async function topicArn(sns: SNSClient, name: string): Promise<string | undefined> {
  let NextToken: string | undefined
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken }))
    const found = page.Topics?.find((t) => t.TopicArn?.endsWith(`:${name}`))
    if (found?.TopicArn) return found.TopicArn
    NextToken = page.NextToken
  } while (NextToken)
  return undefined
}

/** A stream the user named: it must exist and be ACTIVE; it is used as it is. */
async function existingStream(kinesis: KinesisClient, name: string, flag: string): Promise<number> {
  try {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))
    if (summary?.StreamStatus !== 'ACTIVE' && summary?.StreamStatus !== 'UPDATING') throw new UserError(`${flag} ${name} is ${summary?.StreamStatus}, not ACTIVE.`, { hint: 'Wait until it is ACTIVE, then run again.' })
    return summary.OpenShardCount ?? 1
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') throw new UserError(`${flag} ${name}: no such stream on this target.`, { hint: 'Give the name of an existing Kinesis stream, or leave the flag out and fraudlab creates one.' })
    throw error
  }
}

/** A table the user named: it must exist with the BlockList's keys (account, transactionId). */
async function existingTable(dynamodb: DynamoDBClient, name: string, flag: string): Promise<number> {
  try {
    const { Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }))
    const keys = (table?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',')
    const expected = TABLE_KEYS.blockList.map(([attribute, type]) => `${attribute}:${type}`).join(',')
    if (keys !== expected) throw new UserError(`${flag} ${name} has keys ${keys || 'none'}; a BlockList needs ${expected}.`, { hint: 'See docs/scorer-contract.md for the BlockList item.' })
    return 0
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') throw new UserError(`${flag} ${name}: no such table on this target.`, { hint: 'Give the name of an existing DynamoDB table, or leave the flag out and fraudlab creates one.' })
    throw error
  }
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
