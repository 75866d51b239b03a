import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Ajv } from 'ajv'
import { instantiatePlan, planRun } from '../src/run/run-plan.js'
import type { Transaction } from '../src/schema/transaction.js'
import { startScoringServer, type ScoringServer } from '../src/serve/http-server.js'
import { ScoringCore } from '../src/serve/scoring-core.js'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { runCli } from './helpers.js'

function transactions(count: number, seed = 3): Transaction[] {
  const { source } = instantiatePlan(planRun('mixed', { seed, count, tps: 100 }), 'serve')
  return Array.from({ length: count }, () => source.next().transaction)
}

async function post(server: ScoringServer, body: unknown, contentType = 'application/json') {
  const response = await fetch(`${server.url}/v1/score`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('fraudlab serve with the model on its own thread', () => {
  it('decides exactly as on the HTTP thread: same scores, verdicts and reasons, in order', async () => {
    const server = await startScoringServer({ model: DEFAULT_MODEL_PATH, host: '127.0.0.1', port: 0, modelThread: true })
    const reference = await ScoringCore.load(DEFAULT_MODEL_PATH)
    try {
      await server.ready
      const batch = transactions(550, 13)
      const { status, body } = await post(server, { transactions: batch.slice(0, 500) })
      assert.equal(status, 200)
      // Then single requests, one after another (the feature state depends on the order).
      const singles = []
      for (const tx of batch.slice(500)) singles.push(await post(server, tx))
      const served = [...(body.decisions as Array<Record<string, unknown>>), ...singles.map((single) => single.body)]
      const expected = [...(await reference.score(batch.slice(0, 500))), ...(await reference.score(batch.slice(500)))]
      assert.deepEqual(
        served.map((d) => [d.transactionId, d.score, d.verdict, d.reasons]),
        expected.map((d) => [d.transactionId, d.score, d.verdict, d.reasons]),
      )
      assert.ok(expected.some((d) => d.verdict === 'block' && d.reasons.some((reason) => reason.includes('='))), 'some block carries feature reasons')
      // Concurrent requests share model calls on the thread, each answered with its own decision.
      const concurrent = transactions(80, 29)
      const answers = await Promise.all(concurrent.map((tx) => post(server, tx)))
      assert.deepEqual(answers.map((a) => [a.status, a.body.transactionId]), concurrent.map((tx) => [200, tx.id]))
    } finally {
      await server.close()
      await reference.close()
    }
  })
})

describe('fraudlab serve: the HTTP scoring API', () => {
  let server: ScoringServer
  let releaseModel!: () => void
  before(async () => {
    const gate = new Promise<void>((resolve) => (releaseModel = resolve))
    server = await startScoringServer({ model: DEFAULT_MODEL_PATH, host: '127.0.0.1', port: 0, bodyLimitBytes: 64 * 1024, load: async (model) => (await gate, ScoringCore.load(model)) })
  })
  after(async () => server.close())

  it('health is 503 and scoring waits until the model is loaded, then health is 200 with its version', async () => {
    const loading = await fetch(`${server.url}/health`)
    assert.equal(loading.status, 503)
    assert.deepEqual(await loading.json(), { status: 'loading' })
    assert.equal((await post(server, transactions(1)[0])).status, 503)
    releaseModel()
    await server.ready
    const ready = await fetch(`${server.url}/health`)
    assert.equal(ready.status, 200)
    assert.match(((await ready.json()) as { modelVersion: string }).modelVersion, /^default-/)
  })

  it('scores one transaction: score, verdict and reasons', async () => {
    const [tx] = transactions(1)
    const { status, body } = await post(server, tx)
    assert.equal(status, 200)
    assert.equal(body.transactionId, tx.id)
    assert.ok(typeof body.score === 'number' && body.score >= 0 && body.score <= 1)
    assert.ok(['allow', 'review', 'block', 'reject'].includes(body.verdict as string))
    assert.ok(Array.isArray(body.reasons))
  })

  it('scores a batch in order, with the same scores as the scoring core fed the same transactions', async () => {
    const batch = transactions(100, 11)
    const { status, body } = await post(server, { transactions: batch })
    assert.equal(status, 200)
    const decisions = body.decisions as Array<{ transactionId: string; score: number; verdict: string }>
    assert.deepEqual(decisions.map((d) => d.transactionId), batch.map((t) => t.id))
    // An independent core with fresh feature state: same model, same features, same scores.
    const reference = await ScoringCore.load(DEFAULT_MODEL_PATH)
    const expected = await reference.score(batch)
    await reference.close()
    assert.deepEqual(decisions.map((d) => [d.score, d.verdict]), expected.map((d) => [d.score, d.verdict]))
  })

  it('answers concurrent single requests (scored together in one model call) each with its own decision', async () => {
    const batch = transactions(60, 21)
    const responses = await Promise.all(batch.map((tx) => post(server, tx)))
    assert.deepEqual(responses.map((r) => [r.status, r.body.transactionId]), batch.map((tx) => [200, tx.id]))
    for (const { body } of responses) assert.ok(typeof body.score === 'number' && body.score >= 0 && body.score <= 1 && typeof body.verdict === 'string')
  })

  it('refuses an invalid transaction with 400 naming the field', async () => {
    const [tx] = transactions(1, 5)
    const cases: Array<[unknown, string]> = [
      [{ ...tx, amount: -5 }, 'amount'],
      [{ ...tx, type: 'STEAL' }, 'type'],
      [{ ...tx, currency: 'euro' }, 'currency'],
      [{ transactions: [tx, { ...tx, eventTime: 'yesterday' }] }, 'transactions.1.eventTime'],
    ]
    for (const [body, field] of cases) {
      const response = await post(server, body)
      assert.equal(response.status, 400, JSON.stringify(response.body))
      assert.equal(response.body.field, field)
      assert.match(String(response.body.message), new RegExp(`^${field.replaceAll('.', '\\.')}: `))
    }
    const labelled = await post(server, { ...tx, isFraud: true })
    assert.equal(labelled.status, 400)
    assert.match(String(labelled.body.message), /isFraud/)
    assert.equal((await post(server, { transactions: [] })).status, 400)
    assert.equal((await post(server, { transactions: transactions(1001) })).status, 413, 'a 1,001-transaction batch is over the 64 KB test limit')
  })

  it('answers 413 to an oversize body, 415 to a non-JSON one, 400 to broken JSON, 404 elsewhere', async () => {
    const big = await post(server, { transactions: transactions(400) })
    assert.equal(big.status, 413)
    assert.equal(big.body.error, 'payload too large')
    assert.equal((await post(server, 'amount=5', 'text/plain')).status, 415)
    assert.equal((await post(server, '{"id": ')).status, 400)
    assert.equal((await fetch(`${server.url}/v2/score`)).status, 404)
  })

  it('refuses a body that tries to poison prototypes, and no prototype changes', async () => {
    const [tx] = transactions(1, 9)
    const text = JSON.stringify(tx).slice(0, -1)
    const bodies = [`${text},"__proto__":{"polluted":1}}`, `${text},"constructor":{"prototype":{"polluted":1}}}`, `{"transactions":[${text},"__proto__":{"polluted":1}}]}`]
    for (const body of bodies) {
      const response = await fetch(`${server.url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      assert.equal(response.status, 400, body)
      assert.match(String(((await response.json()) as { message: string }).message), /__proto__|constructor/)
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal((await post(server, tx)).status, 200)
  })

  it('survives garbage: every malformed body gets a 4xx and the server stays ready', async () => {
    const garbage: unknown[] = [null, 0, 'x', [], [1, 2], {}, { transactions: 'all' }, { transactions: [null] }, { id: {} }, '"\\u0000"', { transactions: [{}] }, true]
    for (const body of garbage) {
      const response = await fetch(`${server.url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      assert.ok(response.status >= 400 && response.status < 500, `${JSON.stringify(body)} → ${response.status}`)
    }
    assert.equal((await fetch(`${server.url}/health`)).status, 200)
  })

  it('exposes Prometheus metrics: requests by route and status, latency, verdicts, feature-state size', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text()
    assert.match(text, /fraudlab_http_requests_total\{route="\/v1\/score",method="POST",status="200"\} [1-9]/)
    assert.match(text, /fraudlab_http_requests_total\{route="\/v1\/score",method="POST",status="400"\} [1-9]/)
    assert.match(text, /fraudlab_http_request_duration_seconds_bucket\{le="0\.01",route="\/v1\/score",method="POST"\} \d+/)
    assert.match(text, /fraudlab_scored_transactions_total\{verdict="allow"\} [1-9]/)
    assert.match(text, /fraudlab_feature_state_keys\{entity="accounts"\} [1-9]/)
    assert.match(text, /fraudlab_feature_state_bytes [1-9]/)
  })

  it('describes itself in /openapi.json, whose request schema accepts a real transaction and refuses a bad one', async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> } }>> }
    assert.match(document.openapi, /^3\.0/)
    assert.deepEqual(Object.keys(document.paths).sort(), ['/health', '/metrics', '/openapi.json', '/v1/score'])
    const validate = new Ajv({ strict: false }).compile(document.paths['/v1/score'].post.requestBody!.content['application/json'].schema)
    const [tx] = transactions(1)
    assert.ok(validate(tx), JSON.stringify(validate.errors))
    assert.ok(validate({ transactions: [tx] }))
    assert.equal(validate({ ...tx, amount: 'ten' }), false)
  })
})

describe('fraudlab serve, the command', () => {
  it('refuses a missing model before listening', async () => {
    const run = await runCli(['serve', '--model', 'no-such-model.onnx', '--port', '0'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /no-such-model/)
    assert.doesNotMatch(run.stderr, /listening/)
  })
})
