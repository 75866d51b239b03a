import type { IncomingMessage } from 'node:http'
import type { BackendReply, FrontBackend } from '../front/aws-front.js'
import { KinesisEngine, KinesisError } from './kinesis-engine.js'

const HEADERS = { 'content-type': 'application/x-amz-json-1.1' }

/** The embedded Kinesis behind the front, in the same process: no second HTTP hop, no store but memory. */
export class KinesisEngineBackend implements FrontBackend {
  private requests = 0

  constructor(private readonly engine = new KinesisEngine()) {}

  async forward(request: Pick<IncomingMessage, 'headers'>, body: Buffer | undefined, parsed?: unknown): Promise<BackendReply> {
    const target = String(request.headers['x-amz-target'] ?? '')
    const action = target.slice(target.indexOf('.') + 1)
    const headers = { ...HEADERS, 'x-amzn-requestid': `fraudlab-kinesis-${++this.requests}` }
    let input = parsed
    if (input === undefined) {
      try {
        input = body && body.length ? JSON.parse(body.toString('utf8')) : {}
      } catch {
        return { status: 400, headers, body: Buffer.from(JSON.stringify({ __type: 'SerializationException', message: 'The request body is not valid JSON.' })) }
      }
    }
    try {
      return { status: 200, headers, body: Buffer.from(this.engine.call(action, (input ?? {}) as Record<string, unknown>)) }
    } catch (error) {
      if (!(error instanceof KinesisError)) throw error
      return { status: 400, headers, body: Buffer.from(JSON.stringify({ __type: error.type, message: error.message })) }
    }
  }

  async close(): Promise<void> {}
}
