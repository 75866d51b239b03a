import { DeleteTableCommand, DescribeTableCommand, ListTablesCommand, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb'
import {
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  ListStreamsCommand,
  ListTagsForResourceCommand as ListKinesisTagsCommand,
  ListTagsForStreamCommand,
} from '@aws-sdk/client-kinesis'
import { DeleteTopicCommand, ListTagsForResourceCommand, ListTopicsCommand } from '@aws-sdk/client-sns'
import { DeleteQueueCommand, ListQueuesCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs'
import type { AwsClients } from './aws-clients.js'
import { FRAUDLAB_CONSUMER_NAMES } from '../stream/consumer-names.js'
import { listStreamConsumers } from './fan-out-consumers.js'
import { isManagedBy } from './provision.js'

export interface FoundResource {
  kind: 'stream' | 'table' | 'topic' | 'queue' | 'consumer'
  name: string
  /** The table's, topic's or consumer's ARN, the queue's URL (streams are deleted by name). */
  arn?: string
}

export interface TeardownPlan {
  /** Tagged fraudlab-managed=true and fraudlab-prefix=PREFIX: fraudlab created them, they go. */
  managed: FoundResource[]
  /** Named with the prefix but not tagged as fraudlab's: left alone. */
  leftAlone: FoundResource[]
}

type Tag = { Key?: string; Value?: string }

/**
 * Lists the streams, tables and topics whose names start with the prefix, and sorts them by their
 * tags; and the stream consumers fraudlab registered for this prefix on streams it did not create
 * (those on its own streams go with them). Read-only.
 */
export async function planTeardown(clients: AwsClients, prefix: string): Promise<TeardownPlan> {
  const plan: TeardownPlan = { managed: [], leftAlone: [] }
  const sort = (resource: FoundResource, tags: readonly Tag[]) => (isManagedBy(tags, prefix) ? plan.managed : plan.leftAlone).push(resource)

  const streams = await listStreams(clients)
  const deletedStreams = new Set<string>()
  for (const name of streams.filter((stream) => stream.startsWith(prefix))) {
    const { Tags } = await clients.kinesis.send(new ListTagsForStreamCommand({ StreamName: name }))
    sort({ kind: 'stream', name }, Tags ?? [])
    if (isManagedBy(Tags ?? [], prefix)) deletedStreams.add(name)
  }
  plan.managed.push(...(await managedConsumers(clients, prefix, streams.filter((name) => !deletedStreams.has(name)))))
  for (const name of await listTables(clients, prefix)) {
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }))
    const { Tags } = await clients.dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: Table!.TableArn }))
    sort({ kind: 'table', name, arn: Table!.TableArn }, Tags ?? [])
  }
  for (const arn of await listTopics(clients, prefix)) {
    const { Tags } = await clients.sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))
    sort({ kind: 'topic', name: arn.slice(arn.lastIndexOf(':') + 1), arn }, Tags ?? [])
  }
  // Alert queues a run left behind (killed before it could delete its own).
  for (const url of await listQueues(clients, prefix)) {
    const { Tags } = await clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))
    sort({ kind: 'queue', name: url.slice(url.lastIndexOf('/') + 1), arn: url }, Object.entries(Tags ?? {}).map(([Key, Value]) => ({ Key, Value })))
  }
  return plan
}

/** Deletes the managed resources of a plan (and nothing else); a topic's subscriptions go with it. */
export async function deleteManaged(clients: AwsClients, plan: Pick<TeardownPlan, 'managed'>): Promise<FoundResource[]> {
  const deleted: FoundResource[] = []
  for (const resource of plan.managed) {
    if (resource.kind === 'stream') await clients.kinesis.send(new DeleteStreamCommand({ StreamName: resource.name, EnforceConsumerDeletion: true }))
    else if (resource.kind === 'table') await clients.dynamodb.send(new DeleteTableCommand({ TableName: resource.name }))
    else if (resource.kind === 'queue') await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: resource.arn }))
    else if (resource.kind === 'consumer') await clients.kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: resource.arn }))
    else await clients.sns.send(new DeleteTopicCommand({ TopicArn: resource.arn }))
    deleted.push(resource)
  }
  return deleted
}

/** The consumers fraudlab registered for this prefix (tagged so) on the given streams. */
export async function managedConsumers(clients: Pick<AwsClients, 'kinesis'>, prefix: string, streams: readonly string[]): Promise<FoundResource[]> {
  const managed: FoundResource[] = []
  for (const stream of streams) {
    for (const consumer of await fraudlabConsumers(clients, stream)) {
      const { Tags } = await clients.kinesis.send(new ListKinesisTagsCommand({ ResourceARN: consumer.arn }))
      if (isManagedBy(Tags ?? [], prefix)) managed.push(consumer)
    }
  }
  return managed
}

/** The consumers on a stream that carry fraudlab's names (whoever registered them: the tags tell). */
async function fraudlabConsumers(clients: Pick<AwsClients, 'kinesis'>, stream: string): Promise<FoundResource[]> {
  return (await listStreamConsumers(clients.kinesis, stream))
    .filter((consumer) => FRAUDLAB_CONSUMER_NAMES.includes(consumer.ConsumerName ?? ''))
    .map((consumer) => ({ kind: 'consumer', name: `${consumer.ConsumerName} on ${stream}`, arn: consumer.ConsumerARN }))
}

async function listStreams(clients: AwsClients): Promise<string[]> {
  const names: string[] = []
  let ExclusiveStartStreamName: string | undefined
  for (;;) {
    const page = await clients.kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName }))
    const batch = page.StreamNames ?? []
    names.push(...batch)
    if (!page.HasMoreStreams || batch.length === 0) break
    ExclusiveStartStreamName = batch[batch.length - 1]
  }
  return names
}

async function listTables(clients: AwsClients, prefix: string): Promise<string[]> {
  const names: string[] = []
  let ExclusiveStartTableName: string | undefined
  do {
    const page = await clients.dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName }))
    names.push(...(page.TableNames ?? []))
    ExclusiveStartTableName = page.LastEvaluatedTableName
  } while (ExclusiveStartTableName)
  return names.filter((name) => name.startsWith(prefix))
}

async function listTopics(clients: AwsClients, prefix: string): Promise<string[]> {
  const arns: string[] = []
  let NextToken: string | undefined
  do {
    const page = await clients.sns.send(new ListTopicsCommand({ NextToken }))
    arns.push(...(page.Topics ?? []).map((t) => t.TopicArn ?? ''))
    NextToken = page.NextToken
  } while (NextToken)
  return arns.filter((arn) => arn.slice(arn.lastIndexOf(':') + 1).startsWith(prefix))
}

async function listQueues(clients: AwsClients, prefix: string): Promise<string[]> {
  const urls: string[] = []
  let NextToken: string | undefined
  do {
    const page = await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix.replace(/[^A-Za-z0-9_-]/g, '-') || undefined, NextToken }))
    urls.push(...(page.QueueUrls ?? []))
    NextToken = page.NextToken
  } while (NextToken)
  return urls
}
