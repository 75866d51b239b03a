import { createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import { EventStreamCodec } from '@smithy/core/event-streams'
import { fromUtf8, toUtf8 } from '@smithy/core/serde'
import { listenOnLoopback } from '../loopback.js'
import { KinesisError, type KinesisEngine, type SubscriptionCursor } from './kinesis-engine.js'

/** Enhanced fan-out's settings; each is AWS' figure unless a test shortens it. */
export interface FanOutSettings {
  /**
   * How long after its arrival a record is first eligible for a push; the tick adds 0 to `tickMs`.
   * AWS documents about 70 ms on average for enhanced fan-out (Kinesis Data Streams developer
   * guide, "Develop enhanced fan-out consumers"): 60 ms plus half a 20 ms tick.
   */
  pushLatencyMs: number
  /** A subscription ends after this long (AWS: 5 minutes); the consumer resubscribes with its continuation. */
  subscriptionLifetimeMs: number
  /** Bytes a second per consumer per shard (AWS: 2 MiB). */
  bytesPerSecond: number
  /** An event is sent at least this often, records or not (AWS sends one about every 5 s). */
  heartbeatMs: number
  /**
   * How often each subscription pushes what became eligible. AWS pushes in events too: one per
   * record would cost the consumer a model call per record, with nothing to gain within the 70 ms.
   */
  tickMs: number
}

export const AWS_FAN_OUT: FanOutSettings = { pushLatencyMs: 60, subscriptionLifetimeMs: 300_000, bytesPerSecond: 2 * 2 ** 20, heartbeatMs: 5_000, tickMs: 20 }

const codec = new EventStreamCodec(toUtf8, fromUtf8)
const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.1' }

/**
 * SubscribeToShard for the embedded Kinesis: HTTP/2 cleartext, as the SDK's own NodeHttp2Handler
 * speaks it, with the event-stream framing the SDK decodes (its own codec encodes it here). A
 * subscription sends the initial-response event, then SubscribeToShardEvents with the records,
 * their continuation sequence number and MillisBehindLatest, and ends after its lifetime; a
 * consumer deregistered mid-subscription gets ResourceNotFoundException as an exception event.
 */
export class FanOutServer {
  private readonly server: Http2Server
  private readonly active = new Map<string, () => void>()
  private readonly sessions = new Set<ServerHttp2Session>()
  /** The 2 MiB a second is the consumer's on its shard, whatever its subscriptions: the bucket outlives each one. */
  private readonly buckets = new Map<string, { allowance: number; refilledAtMs: number }>()
  settings: FanOutSettings

  constructor(
    private readonly engine: KinesisEngine,
    settings: Partial<FanOutSettings> = {},
  ) {
    this.settings = { ...AWS_FAN_OUT, ...settings }
    this.server = createServer()
    this.server.on('session', (session) => {
      this.sessions.add(session)
      session.once('close', () => this.sessions.delete(session))
    })
    this.server.on('stream', (stream, headers) => {
      const target = String(headers['x-amz-target'] ?? '')
      if (!target.endsWith('.SubscribeToShard')) return fail(stream, 400, 'UnknownOperationException', `This endpoint serves SubscribeToShard only; got ${target || 'no X-Amz-Target'}.`)
      const chunks: Buffer[] = []
      let size = 0
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size <= 65_536) chunks.push(chunk)
      })
      stream.on('end', () => {
        if (size > 65_536) return fail(stream, 400, 'ValidationException', 'The request body is too large.')
        let input: Record<string, unknown>
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>
        } catch {
          return fail(stream, 400, 'SerializationException', 'The request body is not valid JSON.')
        }
        this.subscribe(stream, input)
      })
    })
  }

  listen(port = 0): Promise<number> {
    return listenOnLoopback(this.server, port)
  }

  async close(): Promise<void> {
    for (const end of [...this.active.values()]) end()
    // A client keeps its HTTP/2 session open between subscriptions: closing waits for none.
    for (const session of this.sessions) session.close()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private subscribe(stream: ServerHttp2Stream, input: Record<string, unknown>): void {
    let cursor: SubscriptionCursor
    try {
      cursor = this.engine.openSubscription(input)
    } catch (error) {
      if (error instanceof KinesisError) return fail(stream, 400, error.type, error.message)
      throw error
    }
    const key = `${cursor.consumerArn}|${cursor.shardIndex}`
    if (this.active.has(key)) {
      return fail(stream, 400, 'ResourceInUseException', `Another active subscription exists for consumer ${cursor.consumerArn} on shard ${String(input.ShardId)}.`)
    }
    const settings = this.settings
    stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': `fraudlab-efo-${Date.now()}` })
    stream.write(message('event', 'initial-response', '{}'))
    const startedAtMs = Date.now()
    // The first tick sends an event even without records: its continuation pins where a LATEST subscription began.
    let lastEventAtMs = -Infinity
    let bucket = this.buckets.get(key)
    if (!bucket) this.buckets.set(key, (bucket = { allowance: settings.bytesPerSecond, refilledAtMs: startedAtMs }))
    // The consumer may renew before this stream's close arrives: only this subscription's entry goes.
    const forget = () => {
      clearInterval(timer)
      if (this.active.get(key) === endNow) this.active.delete(key)
    }
    const end = (last?: Uint8Array) => {
      forget()
      if (!stream.closed) stream.end(last)
    }
    const endNow = () => end()
    const tick = () => {
      const now = Date.now()
      if (!this.engine.hasConsumer(cursor.consumerArn)) return end(message('exception', 'ResourceNotFoundException', JSON.stringify({ message: `Consumer ${cursor.consumerArn} not found.` })))
      bucket.allowance = Math.min(settings.bytesPerSecond, bucket.allowance + ((now - bucket.refilledAtMs) * settings.bytesPerSecond) / 1000)
      bucket.refilledAtMs = now
      let read: ReturnType<KinesisEngine['readSubscription']>
      try {
        read = this.engine.readSubscription(cursor, now - settings.pushLatencyMs, Math.max(0, Math.floor(bucket.allowance)))
      } catch (error) {
        const type = error instanceof KinesisError ? error.type : 'InternalFailureException'
        return end(message('exception', type, JSON.stringify({ message: (error as Error).message })))
      }
      // A closed shard read to its end: the last event names its children, with no continuation, and the subscription ends.
      if (read.childShards !== undefined) return end(message('event', 'SubscribeToShardEvent', `{"Records":[${read.records}],"MillisBehindLatest":0,"ChildShards":${read.childShards}}`))
      if (read.count > 0 || now - lastEventAtMs >= settings.heartbeatMs) {
        bucket.allowance -= read.bytes
        lastEventAtMs = now
        stream.write(message('event', 'SubscribeToShardEvent', `{"Records":[${read.records}],"ContinuationSequenceNumber":"${read.continuation}","MillisBehindLatest":${read.millisBehind}}`))
      }
      if (now - startedAtMs >= settings.subscriptionLifetimeMs) end()
    }
    const timer = setInterval(tick, settings.tickMs)
    this.active.set(key, endNow)
    stream.on('close', forget)
  }
}

function message(type: 'event' | 'exception', name: string, body: string): Uint8Array {
  const kind = type === 'event' ? ':event-type' : ':exception-type'
  return codec.encode({
    headers: { ':message-type': { type: 'string', value: type }, [kind]: { type: 'string', value: name }, ':content-type': { type: 'string', value: 'application/json' } },
    body: fromUtf8(body),
  })
}

function fail(stream: ServerHttp2Stream, status: number, type: string, text: string): void {
  if (stream.closed) return
  stream.respond({ ':status': status, ...JSON_HEADERS, 'x-amzn-errortype': type })
  stream.end(JSON.stringify({ __type: type, message: text }))
}
