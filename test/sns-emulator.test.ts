import assert from 'node:assert/strict'
import { createServer, get, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { SnsEmulator } from '../src/stack/sns/sns-emulator.js'

interface Received {
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
}

/** A subscriber endpoint that confirms subscriptions through SubscribeURL, as real consumers do. */
async function startSubscriber(options: { confirm: boolean }) {
  const received: Received[] = []
  const waiters: Array<() => void> = []
  const server: Server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk) => (text += chunk))
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>
      received.push({ headers: req.headers, body })
      if (body.Type === 'SubscriptionConfirmation' && options.confirm) get(String(body.SubscribeURL), (r) => r.resume())
      res.writeHead(200).end()
      waiters.splice(0).forEach((w) => w())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const waitFor = async (predicate: () => boolean, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for a delivery')
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 50)
      })
    }
  }
  return { url: `http://127.0.0.1:${port}/hook`, received, waitFor, close: () => new Promise((r) => server.close(r)) }
}

describe('SNS emulator through the unmodified SDK v3 client', () => {
  const emulator = new SnsEmulator()
  let sns: SNSClient

  before(async () => {
    const port = await emulator.listen(0)
    sns = new SNSClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      requestHandler: new NodeHttpHandler(),
    })
  })
  after(async () => {
    sns.destroy()
    await emulator.close()
  })

  it('creates topics idempotently, lists and describes them', async () => {
    const first = await sns.send(new CreateTopicCommand({ Name: 'alerts-a' }))
    const again = await sns.send(new CreateTopicCommand({ Name: 'alerts-a' }))
    assert.equal(first.TopicArn, 'arn:aws:sns:us-east-1:000000000000:alerts-a')
    assert.equal(again.TopicArn, first.TopicArn)
    const listed = await sns.send(new ListTopicsCommand({}))
    assert.ok(listed.Topics?.some((t) => t.TopicArn === first.TopicArn))
    const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn: first.TopicArn }))
    assert.equal(attributes.Attributes?.TopicArn, first.TopicArn)
    assert.equal(attributes.Attributes?.SubscriptionsConfirmed, '0')
  })

  it('returns SNS error codes the SDK maps to typed errors', async () => {
    await assert.rejects(sns.send(new GetTopicAttributesCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:nope' })), { name: 'NotFoundException' })
    await assert.rejects(sns.send(new CreateTopicCommand({ Name: 'bad name!' })), { name: 'InvalidParameterException' })
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts-b' }))
    const entries = Array.from({ length: 11 }, (_, i) => ({ Id: String(i), Message: 'm' }))
    await assert.rejects(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: entries })), { name: 'TooManyEntriesInBatchRequestException' })
  })

  it('confirms an http subscription through the SubscribeURL handshake, then delivers Publish and PublishBatch', async () => {
    const subscriber = await startSubscriber({ confirm: true })
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts-c' }))
    const subscription = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: subscriber.url, ReturnSubscriptionArn: true }))
    await subscriber.waitFor(() => subscriber.received.length >= 1)
    const confirmation = subscriber.received[0]
    assert.equal(confirmation.headers['x-amz-sns-message-type'], 'SubscriptionConfirmation')
    assert.equal(confirmation.body.Type, 'SubscriptionConfirmation')
    assert.equal(confirmation.body.TopicArn, TopicArn)
    await eventually(async () => (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.SubscriptionsConfirmed === '1')

    const published = await sns.send(
      new PublishCommand({ TopicArn, Message: '{"transactionId":"t-1"}', Subject: 'block', MessageAttributes: { verdict: { DataType: 'String', StringValue: 'block' } } }),
    )
    await subscriber.waitFor(() => subscriber.received.length >= 2)
    const notification = subscriber.received[1]
    assert.equal(notification.headers['x-amz-sns-message-type'], 'Notification')
    assert.equal(notification.headers['x-amz-sns-subscription-arn'], subscription.SubscriptionArn)
    assert.equal(notification.body.MessageId, published.MessageId)
    assert.equal(notification.body.Message, '{"transactionId":"t-1"}')
    assert.equal(notification.body.Subject, 'block')
    assert.deepEqual(notification.body.MessageAttributes, { verdict: { Type: 'String', Value: 'block' } })

    const batch = await sns.send(
      new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: 'a', Message: 'one' }, { Id: 'b', Message: 'two' }] }),
    )
    assert.deepEqual(batch.Successful?.map((s) => s.Id), ['a', 'b'])
    assert.equal(batch.Failed?.length ?? 0, 0)
    await subscriber.waitFor(() => subscriber.received.length >= 4)
    assert.deepEqual(subscriber.received.slice(2).map((r) => r.body.Message).sort(), ['one', 'two'])

    await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription.SubscriptionArn }))
    await sns.send(new PublishCommand({ TopicArn, Message: 'after unsubscribe' }))
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(subscriber.received.length, 4)
    await subscriber.close()
  })

  it('delivers nothing to a subscriber that never confirmed', async () => {
    const subscriber = await startSubscriber({ confirm: false })
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts-d' }))
    const subscription = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: subscriber.url }))
    assert.equal(subscription.SubscriptionArn, 'pending confirmation')
    await subscriber.waitFor(() => subscriber.received.length >= 1)
    await sns.send(new PublishCommand({ TopicArn, Message: 'not for you' }))
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(subscriber.received.length, 1)
    assert.equal((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.SubscriptionsPending, '1')
    await subscriber.close()
  })

  it('deletes a topic and its subscriptions', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts-e' }))
    await sns.send(new DeleteTopicCommand({ TopicArn }))
    await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: 'x' })), { name: 'NotFoundException' })
  })
})

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
