import { SubscribeCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns'
import { createServer, get, type IncomingMessage, type Server } from 'node:http'
import { z } from 'zod'

const SnsEnvelopeSchema = z.object({
  Type: z.string(),
  Message: z.string().optional(),
  SubscribeURL: z.string().optional(),
})
/** Who hears of each alert: the run ledger, or an observer that takes alerts for blocks. */
export interface AlertSink {
  recordAlert(transactionId: string, score?: number): void
}

const AlertSchema = z.object({ transactionId: z.string(), score: z.number().min(0).max(1).optional() })

/** An alert message (the contract asks for `transactionId`; `score` is used when present), or undefined. */
export function parseAlert(text: string): { transactionId: string; score?: number } | undefined {
  const alert = AlertSchema.safeParse(safeJson(text))
  return alert.success ? alert.data : undefined
}

/**
 * An HTTP endpoint subscribed to the alerts topic, so the run observes alerts the way a real
 * consumer would: it answers the SubscriptionConfirmation handshake and counts notifications.
 */
export class AlertReceiver {
  private server?: Server
  private subscriptionArn?: string
  private confirmed!: Promise<void>
  invalidMessages = 0

  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
    private readonly ledger: AlertSink,
  ) {}

  async start(confirmTimeoutMs = 10_000): Promise<void> {
    let markConfirmed!: () => void
    this.confirmed = new Promise((resolve) => (markConfirmed = resolve))
    const server = createServer((req, res) => {
      void readBody(req).then(async (body) => {
        const envelope = SnsEnvelopeSchema.safeParse(safeJson(body))
        if (!envelope.success) {
          this.invalidMessages++
          res.writeHead(400).end()
          return
        }
        if (envelope.data.Type === 'SubscriptionConfirmation' && envelope.data.SubscribeURL) {
          await visit(envelope.data.SubscribeURL)
          markConfirmed()
        } else if (envelope.data.Type === 'Notification') {
          const alert = parseAlert(envelope.data.Message ?? '')
          if (alert) this.ledger.recordAlert(alert.transactionId, alert.score)
          else this.invalidMessages++
        }
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.server = server
    const { port } = server.address() as { port: number }
    const output = await this.sns.send(
      new SubscribeCommand({ TopicArn: this.topicArn, Protocol: 'http', Endpoint: `http://127.0.0.1:${port}/alerts`, ReturnSubscriptionArn: true }),
    )
    this.subscriptionArn = output.SubscriptionArn
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.confirmed,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the alerts topic never sent a SubscriptionConfirmation')), confirmTimeoutMs))),
    ]).finally(() => clearTimeout(timer))
  }

  async stop(): Promise<void> {
    if (this.subscriptionArn) await this.sns.send(new UnsubscribeCommand({ SubscriptionArn: this.subscriptionArn })).catch(() => undefined)
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server?.closeAllConnections()
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
}

function visit(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.resume()
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`confirming the subscription returned ${res.statusCode}`))))
    }).on('error', reject)
  })
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
