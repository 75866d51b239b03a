import {
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  ListTagsForResourceCommand,
  type Consumer,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import { errorName } from '../aws/backoff.js'
import { isManagedBy } from './provision.js'

/** A stream consumer a run registers (enhanced fan-out) on one of its streams. */
export interface FanOutConsumer {
  stream: string
  name: string
}

/** Every consumer registered on a stream, page by page. */
export async function listStreamConsumers(kinesis: Pick<KinesisClient, 'send'>, stream: string): Promise<Consumer[]> {
  const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
  const consumers: Consumer[] = []
  let NextToken: string | undefined
  do {
    const page = await kinesis.send(new ListStreamConsumersCommand(NextToken ? { StreamARN: summary?.StreamARN, NextToken } : { StreamARN: summary?.StreamARN }))
    consumers.push(...(page.Consumers ?? []))
    NextToken = page.NextToken
  } while (NextToken)
  return consumers
}

/**
 * Deregisters the stream consumers a run registered on streams the user owns (a consumer bills per
 * shard-hour while registered, used or not, and `stack down` does not delete the user's streams).
 * Only consumers tagged as fraudlab's for this prefix go: one the user registered under the same
 * name stays.
 */
export async function deregisterRunConsumers(kinesis: Pick<KinesisClient, 'send'>, consumers: readonly FanOutConsumer[], prefix: string): Promise<void> {
  for (const { stream, name } of consumers) {
    try {
      const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
      const { ConsumerDescription: consumer } = await kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: summary?.StreamARN, ConsumerName: name }))
      const { Tags } = await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: consumer?.ConsumerARN }))
      if (!isManagedBy(Tags ?? [], prefix)) continue
      await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumer?.ConsumerARN }))
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error
    }
  }
}
