import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import { compileFastCheck } from '../schema/fast-check.js'
import { TransactionSchema, type Transaction } from '../schema/transaction.js'
import { fraudlabVersion } from '../util/versions.js'
import { createMetrics } from './metrics.js'
import { MAX_BATCH, openApiDocument } from './openapi.js'
import { ScoringCore, type ScoredTransaction } from './scoring-core.js'
import { z } from 'zod'

export interface ScoringServerOptions {
  /** `rules`, or the path of an ONNX model with its card. */
  model: string
  host: string
  port: number
  /** Larger bodies get 413. */
  bodyLimitBytes?: number
  /** Evaluate the model on a thread of its own, so that the HTTP thread goes on with the next requests meanwhile. */
  modelThread?: boolean
  /** How the scoring core is loaded (tests slow it down to see /health before it is ready). */
  load?: (model: string) => Promise<ScoringCore>
}

export interface ScoringServer {
  app: FastifyInstance
  url: string
  /** Settles when the model is loaded (the server answers /health with 503 until then). */
  ready: Promise<void>
  close(): Promise<void>
}

const BatchSchema = z.strictObject({ transactions: z.array(TransactionSchema).min(1).max(MAX_BATCH) })
// The zod schemas define a valid request and name what is wrong with an invalid one; these compiled
// checks of the same schemas let a valid request through without a zod parse (a copy of the body).
const isTransaction = compileFastCheck(TransactionSchema)
const isBatch = compileFastCheck(BatchSchema)

type Batch = z.infer<typeof BatchSchema>

/** A request's transactions (one, or a batch), or the first thing wrong with it, as zod names it. */
function readRequest(body: unknown): { transactions: Transaction[]; batch: boolean } | { field: string; message: string } {
  const batch = typeof body === 'object' && body !== null && 'transactions' in body
  if (batch ? isBatch(body) : isTransaction(body)) return { transactions: batch ? (body as Batch).transactions : [body as Transaction], batch }
  const parsed = batch ? BatchSchema.safeParse(body) : TransactionSchema.safeParse(body)
  if (parsed.success) return { transactions: batch ? (parsed.data as Batch).transactions : [parsed.data as Transaction], batch }
  const issue = parsed.error.issues[0]
  const field = issue.path.join('.')
  return { field, message: `${field || 'body'}: ${issue.message}` }
}

/** A decision as JSON, written directly: this runs once per scored transaction. */
function decisionJson(d: ScoredTransaction): string {
  return `{"transactionId":${JSON.stringify(d.transactionId)},"score":${d.score},"verdict":"${d.verdict}","reasons":${JSON.stringify(d.reasons)},"modelVersion":${JSON.stringify(d.modelVersion)}}`
}

function decisionsJson(decisions: readonly ScoredTransaction[]): string {
  return `{"decisions":[${decisions.map(decisionJson).join(',')}]}`
}

/**
 * `fraudlab serve`: the decision step behind HTTP (Fastify). It listens at once and loads the model
 * in the background, so /health says when it is ready. Every request is validated; a wrong one
 * gets 400 naming the field, an oversize one 413, and no request can crash the server.
 */
export async function startScoringServer(options: ScoringServerOptions): Promise<ScoringServer> {
  let core: ScoringCore | undefined
  let loadError: Error | undefined
  const metrics = createMetrics(() => core)
  // A body's `__proto__` or `constructor` key is an unknown key to the strict schemas, which refuse
  // it before anything reads the body: Fastify's scan of every body for them (two regular
  // expressions over the whole text, 3% of the server's time with batches of 100) is not needed.
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimitBytes ?? 1_048_576, return503OnClosing: true, onProtoPoisoning: 'ignore', onConstructorPoisoning: 'ignore' })

  // JSON only: any other body is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    const code = status === 413 ? 'payload too large' : status === 415 ? 'unsupported media type' : status === 400 ? 'invalid request' : status === 500 ? 'internal error' : 'error'
    void reply.status(status).send({ error: code, message: status === 500 ? 'the server failed to score the request' : error.message })
  })
  app.setNotFoundHandler((request, reply) => void reply.status(404).send({ error: 'not found', message: `${request.method} ${request.url} is not part of this API; see /openapi.json` }))

  app.post('/v1/score', async (request, reply) => {
    if (!core) return reply.status(503).send({ error: 'loading', message: loadError ? `the model failed to load: ${loadError.message}` : 'the model is still loading; retry when /health says ready' })
    const read = readRequest(request.body)
    if ('field' in read) return reply.status(400).send({ error: 'invalid request', ...read })
    const decisions = await core.score(read.transactions)
    for (const decision of decisions) metrics.countVerdict(decision.verdict)
    return reply.type('application/json').send(read.batch ? decisionsJson(decisions) : decisionJson(decisions[0]))
  })

  app.get('/health', async (_request, reply) => {
    if (core) return { status: 'ready', modelVersion: core.modelVersion }
    return reply.status(503).send(loadError ? { status: 'failed', message: loadError.message } : { status: 'loading' })
  })
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()))
  const document = openApiDocument(fraudlabVersion())
  app.get('/openapi.json', async () => document)

  const address = await app.listen({ host: options.host, port: options.port })
  const load = options.load ?? ((model: string) => ScoringCore.load(model, { ownThread: options.modelThread }))
  const ready = load(options.model).then(
    (loaded) => void (core = loaded),
    (error: Error) => {
      loadError = error
      throw error
    },
  )
  ready.catch(() => undefined)
  return {
    app,
    url: address,
    ready,
    close: async () => {
      await app.close()
      await core?.close()
    },
  }
}
