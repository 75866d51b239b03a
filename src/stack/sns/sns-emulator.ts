import { randomUUID } from 'node:crypto'
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { request as httpsRequest } from 'node:https'
import {
  SnsApiError,
  errorResponse,
  escapeXml,
  parseQuery,
  queryResponse,
  readEntryMap,
  readMemberList,
  readMessageAttributes,
  type MessageAttribute,
  type QueryParams,
} from './query-protocol.js'
import { Random } from '../../util/random.js'
import { isControlAuthorized, parseControlInput, readBoundedBody, SnsFaultsInput } from '../emulator-control.js'
import { CONTROL_PATH, type FrontCounts } from '../fault-plan.js'

interface Topic {
  arn: string
  name: string
  attributes: Map<string, string>
  tags: Map<string, string>
}

interface Subscription {
  arn: string
  topicArn: string
  protocol: 'http' | 'https'
  endpoint: string
  token: string
  confirmed: boolean
  rawMessageDelivery: boolean
}

interface Notification {
  messageId: string
  topicArn: string
  subject?: string
  message: string
  attributes: Record<string, MessageAttribute>
}

const MAX_MESSAGE_BYTES = 256 * 1024
const MAX_BATCH_ENTRIES = 10
/** SNS' default HTTP delivery policy retries a failed delivery; these are our (shorter) waits. */
const DELIVERY_BACKOFF_MS = [0, 200, 1_000, 3_000]

export interface SnsEmulatorOptions {
  region?: string
  accountId?: string
  /** Required on the control path; without one, the control path is closed. */
  controlToken?: string
}

export interface SnsEmulatorStats {
  published: number
  delivered: number
  deliveryFailures: number
}

/**
 * An SNS-compatible endpoint speaking the AWS Query protocol, enough for fraudlab and for the
 * unmodified SDK: topics, HTTP/HTTPS subscriptions with the SubscriptionConfirmation handshake,
 * Publish and PublishBatch, delivered to confirmed subscribers as SNS delivers them. Messages are
 * not signed (SignatureVersion 1 fields are present but empty): verify nothing against them.
 */
export class SnsEmulator {
  private readonly topics = new Map<string, Topic>()
  private readonly subscriptions = new Map<string, Subscription>()
  private readonly region: string
  private readonly accountId: string
  private server?: Server
  private baseUrl = ''
  private readonly deliveries = new Set<Promise<void>>()
  readonly stats: SnsEmulatorStats = { published: 0, delivered: 0, deliveryFailures: 0 }
  /** Injected faults (`--inject sns.fail=P`): each Publish, or PublishBatch entry, fails with this probability. */
  private failProbability = 0
  private random = new Random(1)
  private injectedFailures = 0
  private readonly controlToken?: string

  constructor(options: SnsEmulatorOptions = {}) {
    this.region = options.region ?? 'us-east-1'
    this.accountId = options.accountId ?? '000000000000'
    this.controlToken = options.controlToken
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res))
    server.keepAliveTimeout = 65_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, resolve)
    })
    this.server = server
    const address = server.address()
    if (!address || typeof address === 'string') throw new Error('SNS emulator has no TCP address')
    this.baseUrl = `http://${host}:${address.port}`
    return address.port
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.deliveries])
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server?.closeAllConnections()
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.baseUrl)
      if (url.pathname === CONTROL_PATH) return await this.control(req, res)
      const body = req.method === 'POST' ? await readQueryBody(req) : ''
      const params = req.method === 'GET' ? new Map(url.searchParams) : parseQuery(body)
      const action = params.get('Action')
      if (!action) throw new SnsApiError('MissingAction', 'The request must contain the parameter Action.')
      const result = this.dispatch(action, params)
      res.writeHead(200, { 'content-type': 'text/xml' }).end(queryResponse(action, result))
    } catch (error) {
      const apiError = error instanceof SnsApiError ? error : new SnsApiError('InternalError', String(error), 500)
      res.writeHead(apiError.status, { 'content-type': 'text/xml' }).end(errorResponse(apiError))
    }
  }

  private dispatch(action: string, params: QueryParams): string {
    switch (action) {
      case 'CreateTopic':
        return this.createTopic(params)
      case 'ListTopics':
        return `<Topics>${[...this.topics.values()].map((t) => `<member><TopicArn>${escapeXml(t.arn)}</TopicArn></member>`).join('')}</Topics>`
      case 'GetTopicAttributes':
        return this.getTopicAttributes(params)
      case 'DeleteTopic':
        return this.deleteTopic(params)
      case 'Subscribe':
        return this.subscribe(params)
      case 'ConfirmSubscription':
        return this.confirmSubscription(params)
      case 'Unsubscribe':
        return this.unsubscribe(params)
      case 'ListSubscriptionsByTopic':
        return this.listSubscriptionsByTopic(params)
      case 'Publish':
        return this.publish(params)
      case 'PublishBatch':
        return this.publishBatch(params)
      case 'TagResource':
        this.tagTopic(this.topic(params, 'ResourceArn'), params)
        return ''
      case 'ListTagsForResource':
        return `<Tags>${[...this.topic(params, 'ResourceArn').tags].map(([key, value]) => `<member><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></member>`).join('')}</Tags>`
      default:
        throw new SnsApiError('InvalidAction', `The action ${action} is not valid for this endpoint.`)
    }
  }

  private createTopic(params: QueryParams): string {
    const name = required(params, 'Name')
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
      throw new SnsApiError('InvalidParameter', 'Invalid parameter: Topic Name')
    }
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`
    if (!this.topics.has(arn)) {
      this.topics.set(arn, { arn, name, attributes: readEntryMap(params, 'Attributes'), tags: new Map() })
    }
    this.tagTopic(this.topics.get(arn)!, params)
    return `<TopicArn>${escapeXml(arn)}</TopicArn>`
  }

  private topic(params: QueryParams, field = 'TopicArn'): Topic {
    const arn = required(params, field)
    const topic = this.topics.get(arn)
    if (!topic) throw new SnsApiError(field === 'TopicArn' ? 'NotFound' : 'ResourceNotFound', field === 'TopicArn' ? 'Topic does not exist' : 'Resource does not exist', 404)
    return topic
  }

  private tagTopic(topic: Topic, params: QueryParams): void {
    for (const tag of readMemberList(params, 'Tags')) {
      const key = tag.get('Key')
      if (key) topic.tags.set(key, tag.get('Value') ?? '')
    }
  }

  private getTopicAttributes(params: QueryParams): string {
    const topic = this.topic(params)
    const subscriptions = [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn)
    const attributes = new Map<string, string>([
      ...topic.attributes,
      ['TopicArn', topic.arn],
      ['Owner', this.accountId],
      ['DisplayName', topic.attributes.get('DisplayName') ?? ''],
      ['SubscriptionsConfirmed', String(subscriptions.filter((s) => s.confirmed).length)],
      ['SubscriptionsPending', String(subscriptions.filter((s) => !s.confirmed).length)],
      ['SubscriptionsDeleted', '0'],
    ])
    const entries = [...attributes].map(([key, value]) => `<entry><key>${escapeXml(key)}</key><value>${escapeXml(value)}</value></entry>`)
    return `<Attributes>${entries.join('')}</Attributes>`
  }

  private deleteTopic(params: QueryParams): string {
    const arn = required(params, 'TopicArn')
    this.topics.delete(arn)
    for (const [subscriptionArn, subscription] of this.subscriptions) {
      if (subscription.topicArn === arn) this.subscriptions.delete(subscriptionArn)
    }
    return ''
  }

  private subscribe(params: QueryParams): string {
    const topic = this.topic(params)
    const protocol = required(params, 'Protocol')
    const endpoint = required(params, 'Endpoint')
    if (protocol !== 'http' && protocol !== 'https') {
      throw new SnsApiError('InvalidParameter', `Invalid parameter: Protocol ${protocol} is not supported by this endpoint (http and https are)`)
    }
    let endpointUrl: URL
    try {
      endpointUrl = new URL(endpoint)
    } catch {
      throw new SnsApiError('InvalidParameter', 'Invalid parameter: Endpoint must be a URL')
    }
    if (endpointUrl.protocol !== `${protocol}:`) {
      throw new SnsApiError('InvalidParameter', `Invalid parameter: Endpoint must match the ${protocol} protocol`)
    }
    const attributes = readEntryMap(params, 'Attributes')
    const existing = [...this.subscriptions.values()].find((s) => s.topicArn === topic.arn && s.endpoint === endpoint)
    const subscription: Subscription = existing ?? {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      token: randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', ''),
      confirmed: false,
      rawMessageDelivery: attributes.get('RawMessageDelivery') === 'true',
    }
    if (!existing) {
      this.subscriptions.set(subscription.arn, subscription)
      this.track(this.sendConfirmation(subscription))
    }
    const showArn = subscription.confirmed || params.get('ReturnSubscriptionArn') === 'true'
    return `<SubscriptionArn>${escapeXml(showArn ? subscription.arn : 'pending confirmation')}</SubscriptionArn>`
  }

  private confirmSubscription(params: QueryParams): string {
    const topicArn = required(params, 'TopicArn')
    const token = required(params, 'Token')
    const subscription = [...this.subscriptions.values()].find((s) => s.topicArn === topicArn && s.token === token)
    if (!subscription) throw new SnsApiError('InvalidParameter', 'Invalid token')
    subscription.confirmed = true
    return `<SubscriptionArn>${escapeXml(subscription.arn)}</SubscriptionArn>`
  }

  private unsubscribe(params: QueryParams): string {
    const arn = required(params, 'SubscriptionArn')
    if (!this.subscriptions.delete(arn)) throw new SnsApiError('NotFound', 'Subscription does not exist', 404)
    return ''
  }

  private listSubscriptionsByTopic(params: QueryParams): string {
    const topic = this.topic(params)
    const members = [...this.subscriptions.values()]
      .filter((s) => s.topicArn === topic.arn)
      .map(
        (s) =>
          `<member><TopicArn>${escapeXml(s.topicArn)}</TopicArn><Protocol>${s.protocol}</Protocol>` +
          `<SubscriptionArn>${escapeXml(s.confirmed ? s.arn : 'PendingConfirmation')}</SubscriptionArn>` +
          `<Owner>${this.accountId}</Owner><Endpoint>${escapeXml(s.endpoint)}</Endpoint></member>`,
      )
    return `<Subscriptions>${members.join('')}</Subscriptions>`
  }

  /** `GET/PUT /__fraudlab/faults`: the injected failure rate and how many failures were injected (with the stack's token only). */
  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refuse = (status: number, message: string) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }))
    if (!isControlAuthorized(req.headers, this.controlToken)) {
      req.resume()
      return refuse(403, 'The control path needs the token of the stack that started this emulator.')
    }
    if (req.method === 'PUT') {
      const body = await readBoundedBody(req, 4_096)
      const input = body ? parseControlInput(SnsFaultsInput, body.toString('utf8')) : { ok: false as const, message: 'the body exceeds 4 KiB' }
      if (!input.ok) return refuse(400, `Faults not changed: ${input.message}.`)
      this.failProbability = input.value.fail ?? 0
      this.random = new Random(input.value.seed ?? 1)
      this.injectedFailures = 0
    }
    const counts: FrontCounts = { limitThrottled: 0, injected: this.injectedFailures, delayed: 0 }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ service: 'sns', faults: { fail: this.failProbability }, counts }))
  }

  private injectFailure(): void {
    if (this.failProbability <= 0 || this.random.next() >= this.failProbability) return
    this.injectedFailures++
    throw new SnsApiError('InternalError', 'Injected failure (fraudlab --inject sns.fail).', 500)
  }

  private publish(params: QueryParams): string {
    this.injectFailure()
    const topic = this.topic(params)
    const notification = this.notification(topic, params)
    this.fanOut(notification)
    return `<MessageId>${notification.messageId}</MessageId>`
  }

  private publishBatch(params: QueryParams): string {
    const topic = this.topic(params)
    const entries = readMemberList(params, 'PublishBatchRequestEntries')
    if (entries.length === 0) throw new SnsApiError('EmptyBatchRequest', 'The batch request does not contain any entries.')
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw new SnsApiError('TooManyEntriesInBatchRequest', `The batch request contains more entries than permissible (${MAX_BATCH_ENTRIES}).`)
    }
    const ids = entries.map((entry) => entry.get('Id') ?? '')
    if (new Set(ids).size !== ids.length) throw new SnsApiError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.')
    const successful: string[] = []
    const failed: string[] = []
    for (const entry of entries) {
      const id = entry.get('Id') ?? ''
      try {
        this.injectFailure()
        const notification = this.notification(topic, entry)
        this.fanOut(notification)
        successful.push(`<member><Id>${escapeXml(id)}</Id><MessageId>${notification.messageId}</MessageId></member>`)
      } catch (error) {
        const apiError = error instanceof SnsApiError ? error : new SnsApiError('InternalError', String(error), 500)
        failed.push(
          `<member><Id>${escapeXml(id)}</Id><Code>${escapeXml(apiError.code)}</Code>` +
            `<Message>${escapeXml(apiError.message)}</Message><SenderFault>${apiError.status < 500}</SenderFault></member>`,
        )
      }
    }
    return `<Successful>${successful.join('')}</Successful><Failed>${failed.join('')}</Failed>`
  }

  private notification(topic: Topic, fields: Map<string, string>): Notification {
    const message = fields.get('Message')
    if (message === undefined || message === '') throw new SnsApiError('InvalidParameter', 'Invalid parameter: Message')
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) throw new SnsApiError('InvalidParameter', 'Invalid parameter: Message too long')
    this.stats.published++
    return {
      messageId: randomUUID(),
      topicArn: topic.arn,
      subject: fields.get('Subject'),
      message,
      attributes: readMessageAttributes(fields),
    }
  }

  private fanOut(notification: Notification): void {
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topicArn === notification.topicArn && subscription.confirmed) {
        this.track(this.deliver(subscription, notification))
      }
    }
  }

  private track(delivery: Promise<void>): void {
    this.deliveries.add(delivery)
    void delivery.finally(() => this.deliveries.delete(delivery))
  }

  private async sendConfirmation(subscription: Subscription): Promise<void> {
    const subscribeUrl =
      `${this.baseUrl}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(subscription.topicArn)}` +
      `&Token=${subscription.token}`
    const body = {
      Type: 'SubscriptionConfirmation',
      MessageId: randomUUID(),
      Token: subscription.token,
      TopicArn: subscription.topicArn,
      Message: `You have chosen to subscribe to the topic ${subscription.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: subscribeUrl,
      Timestamp: new Date().toISOString(),
      SignatureVersion: '1',
      Signature: '',
      SigningCertURL: '',
    }
    await this.post(subscription, 'SubscriptionConfirmation', body.MessageId, JSON.stringify(body))
  }

  private async deliver(subscription: Subscription, notification: Notification): Promise<void> {
    const body = subscription.rawMessageDelivery
      ? notification.message
      : JSON.stringify({
          Type: 'Notification',
          MessageId: notification.messageId,
          TopicArn: notification.topicArn,
          ...(notification.subject ? { Subject: notification.subject } : {}),
          Message: notification.message,
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: '',
          SigningCertURL: '',
          UnsubscribeURL: `${this.baseUrl}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscription.arn)}`,
          ...(Object.keys(notification.attributes).length ? { MessageAttributes: notification.attributes } : {}),
        })
    const ok = await this.post(subscription, 'Notification', notification.messageId, body)
    if (ok) this.stats.delivered++
    else this.stats.deliveryFailures++
  }

  private async post(subscription: Subscription, type: string, messageId: string, body: string): Promise<boolean> {
    for (const delayMs of DELIVERY_BACKOFF_MS) {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs))
      if (!this.subscriptions.has(subscription.arn)) return false
      const status = await postOnce(subscription, type, messageId, body).catch(() => 0)
      if (status >= 200 && status < 300) return true
    }
    return false
  }
}

function postOnce(subscription: Subscription, type: string, messageId: string, body: string): Promise<number> {
  const url = new URL(subscription.endpoint)
  const send = subscription.protocol === 'https' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        timeout: 15_000,
        headers: {
          'content-type': 'text/plain; charset=UTF-8',
          'content-length': Buffer.byteLength(body),
          'x-amz-sns-message-type': type,
          'x-amz-sns-message-id': messageId,
          'x-amz-sns-topic-arn': subscription.topicArn,
          ...(type === 'Notification' ? { 'x-amz-sns-subscription-arn': subscription.arn } : {}),
          ...(subscription.rawMessageDelivery && type === 'Notification' ? { 'x-amz-sns-rawdelivery': 'true' } : {}),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('timeout', () => req.destroy(new Error('delivery timed out')))
    req.on('error', reject)
    req.end(body)
  })
}

function required(params: Map<string, string>, name: string): string {
  const value = params.get(name)
  if (value === undefined || value === '') throw new SnsApiError('InvalidParameter', `Invalid parameter: ${name} is required`)
  return value
}

/** A Query-protocol body up to the largest PublishBatch; a larger one is refused without being held. */
async function readQueryBody(req: IncomingMessage): Promise<string> {
  const body = await readBoundedBody(req, MAX_MESSAGE_BYTES * MAX_BATCH_ENTRIES + 65_536)
  if (!body) throw new SnsApiError('RequestTooLarge', 'The request body is too large.', 413)
  return body.toString('utf8')
}
