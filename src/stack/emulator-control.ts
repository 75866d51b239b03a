import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { z } from 'zod'

/**
 * The embedded emulators' control path (`/__fraudlab/faults`) changes what they refuse and delay,
 * so it answers only to whoever started the stack: a random token, handed to each emulator
 * process in its environment and kept in the stack's state file (readable by its owner only).
 */
export const CONTROL_TOKEN_HEADER = 'x-fraudlab-control-token'
export const CONTROL_TOKEN_ENV = 'FRAUDLAB_CONTROL_TOKEN'

export function newControlToken(): string {
  return randomBytes(24).toString('hex')
}

export function isControlAuthorized(headers: IncomingHttpHeaders, token: string | undefined): boolean {
  const given = headers[CONTROL_TOKEN_HEADER]
  if (!token || typeof given !== 'string' || given.length !== token.length) return false
  return timingSafeEqual(Buffer.from(given), Buffer.from(token))
}

/** What a Kinesis or DynamoDB front takes on its control path; every field optional, none unchecked. */
export const FrontFaultsInput = z
  .strictObject({
    limits: z.boolean(),
    throttle: z.number().min(0).max(1),
    latencyMs: z.number().int().min(0).max(60_000),
    seed: z.number().int().min(0).max(2 ** 32 - 1),
    /** The embedded Kinesis' enhanced fan-out: subscription lifetime and push latency. */
    fanOut: z.strictObject({ subscriptionLifetimeMs: z.number().int().min(500).max(300_000), pushLatencyMs: z.number().int().min(0).max(10_000) }).partial(),
  })
  .partial()

/** What the SNS endpoint takes on its control path. */
export const SnsFaultsInput = z
  .strictObject({
    fail: z.number().min(0).max(1),
    seed: z.number().int().min(0).max(2 ** 32 - 1),
  })
  .partial()

/** The input's problem in one line, or the parsed value. */
export function parseControlInput<T>(schema: z.ZodType<T>, body: string): { ok: true; value: T } | { ok: false; message: string } {
  let json: unknown
  try {
    json = JSON.parse(body || '{}')
  } catch {
    return { ok: false, message: 'the body is not JSON' }
  }
  const parsed = schema.safeParse(json)
  if (parsed.success) return { ok: true, value: parsed.data }
  return { ok: false, message: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') }
}

/**
 * A request's body, up to `limitBytes`; undefined when it is larger. A larger body is never held:
 * its length header refuses it before reading, or reading stops holding it once past the limit
 * and the rest is read and dropped, so that the answer still reaches the client.
 */
export function readBoundedBody(request: IncomingMessage, limitBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'])
    if (declared > limitBytes) {
      request.resume()
      return resolve(undefined)
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limitBytes) return void chunks.push(chunk)
      chunks.length = 0
      request.off('data', onData)
      request.resume()
      resolve(undefined)
    }
    request.on('data', onData)
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
    request.once('error', reject)
  })
}
