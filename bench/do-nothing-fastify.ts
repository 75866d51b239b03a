// The HTTP stack's own cost, for bench/k6-serve.ts: Fastify (the framework `fraudlab serve` is
// built on) with the same route, parsing the same JSON body and answering a fixed decision. No
// validation, no features, no model. Prints its URL on stdout once it listens.
//   node dist/bench/do-nothing-fastify.js [port]
import Fastify from 'fastify'

const allow = JSON.stringify({ transactionId: 'x', score: 0, verdict: 'allow', reasons: [], modelVersion: 'none' })
const app = Fastify({ logger: false })
app.post('/v1/score', async (_request, reply) => reply.type('application/json').send(allow))
app.get('/health', async () => ({ status: 'ready' }))
const url = await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) })
console.log(url)
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
