import { SubscribeCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns'
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs'
import { withRetries } from '../aws/backoff.js'
import { sleep } from '../util/clock.js'
import { parseAlert, type AlertSink } from './alert-receiver.js'

/** Long polls, short enough that stopping waits at most this long for the last one. */
const WAIT_SECONDS = 2

/**
 * Observes alerts where SNS cannot call back to this machine (LocalStack, AWS): a queue of the
 * run's own, subscribed to the alerts topic with raw delivery and a policy that lets only that
 * topic send to it, long-polled until the run ends, then unsubscribed and deleted. Tagged like
 * every resource fraudlab creates, so that `stack down` finds one a killed run left behind.
 */
export class AlertQueue {
  invalidMessages = 0
  private queueUrl?: string
  private subscriptionArn?: string
  private readonly controller = new AbortController()
  private polling: Promise<void> = Promise.resolve()

  constructor(
    private readonly clients: { sns: SNSClient; sqs: SQSClient },
    private readonly topicArn: string,
    private readonly queueName: string,
    private readonly tags: Record<string, string>,
    private readonly ledger: AlertSink,
  ) {}

  async start(): Promise<void> {
    const { sqs, sns } = this.clients
    const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: this.queueName, tags: this.tags }))
    if (!queueUrl) throw new Error(`CreateQueue ${this.queueName} returned no QueueUrl`)
    this.queueUrl = queueUrl
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    const queueArn = Attributes?.QueueArn
    if (!queueArn) throw new Error(`queue ${this.queueName} has no QueueArn`)
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': this.topicArn } } }],
    }
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(policy) } }))
    const subscription = await sns.send(new SubscribeCommand({ TopicArn: this.topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' }, ReturnSubscriptionArn: true }))
    this.subscriptionArn = subscription.SubscriptionArn
    this.polling = this.poll(queueUrl)
  }

  /** Stops polling (after the current long poll), unsubscribes and deletes the queue. */
  async stop(): Promise<void> {
    this.controller.abort()
    await this.polling
    if (this.subscriptionArn) await this.clients.sns.send(new UnsubscribeCommand({ SubscriptionArn: this.subscriptionArn })).catch(() => undefined)
    if (this.queueUrl) await this.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: this.queueUrl })).catch(() => undefined)
  }

  private async poll(queueUrl: string): Promise<void> {
    const { signal } = this.controller
    while (!signal.aborted) {
      const output = await withRetries(() => this.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: WAIT_SECONDS })), { signal }).catch(() => undefined)
      if (!output) {
        await sleep(1_000, signal)
        continue
      }
      const messages = output.Messages ?? []
      for (const message of messages) {
        const alert = parseAlert(message.Body ?? '')
        if (alert) this.ledger.recordAlert(alert.transactionId, alert.score)
        else this.invalidMessages++
      }
      if (messages.length) {
        const entries = messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle! }))
        await this.clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })).catch(() => undefined)
      }
    }
  }
}

/** A queue name from the prefix and run id: SQS allows letters, digits, - and _, at most 80. */
export function alertQueueName(prefix: string, runId: string): string {
  return `${prefix}alerts-${runId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80)
}
