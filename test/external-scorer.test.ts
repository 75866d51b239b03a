import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, it } from 'node:test'
import { CreateTableCommand } from '@aws-sdk/client-dynamodb'
import { CreateStreamCommand, DescribeStreamSummaryCommand, ListStreamsCommand, ListTagsForStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { CreateTopicCommand } from '@aws-sdk/client-sns'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { CONTRACT_SCHEMAS, renderContractSchema } from '../src/schema/contract-schemas.js'
import { ShardReader } from '../src/stream/shard-reader.js'
import { embeddedStackFixture, readWholeStream, REPO_ROOT, runCli, tempDir, type StackFixture } from './helpers.js'
import { describeNeeding } from './optional-suite.js'

const PYTHON_SCORER = join(REPO_ROOT, 'examples', 'python-scorer', 'scorer.py')
const pythonMissing = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0 ? false : 'python3 with boto3 is not installed (pip install boto3; .ci/run installs moto, which brings it)'

/** The embedded stack's endpoints, as boto3 reads them from the environment. */
function awsEnvOf(stack: StackFixture): Record<string, string> {
  const endpoint = (service: string) => stack.state.services.find((s) => s.service === service)!.endpoint
  return {
    AWS_ENDPOINT_URL_KINESIS: endpoint('kinesis'),
    AWS_ENDPOINT_URL_DYNAMODB: endpoint('dynamodb'),
    AWS_ENDPOINT_URL_SNS: endpoint('sns'),
    AWS_ACCESS_KEY_ID: 'fraudlab',
    AWS_SECRET_ACCESS_KEY: 'fraudlab',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
  }
}

/** Starts the Python example scorer and waits until it reads every shard. */
async function startPythonScorer(stack: StackFixture): Promise<ChildProcess> {
  const child = spawn('python3', [PYTHON_SCORER, '--alerts-topic-arn', stack.state.resources.alertsTopicArn, '--poll-interval', '0.2'], { env: { ...process.env, ...awsEnvOf(stack) }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready:') && resolve())
    child.once('exit', (code) => reject(new Error(`the Python scorer exited (${code}): ${stderr}`)))
  })
  return child
}

/**
 * A scorer written in the test: it reads the transactions stream and writes, for the n-th record it
 * reads, what `answer` returns (a decision's text; undefined writes nothing).
 */
async function startFakeScorer(
  stack: StackFixture,
  answer: (transactionId: string, n: number) => string | undefined,
  streams = { transactions: 'fraudlab-transactions', decisions: 'fraudlab-decisions' },
): Promise<() => Promise<void>> {
  const controller = new AbortController()
  let n = 0
  const reader = new ShardReader({
    kinesis: stack.clients.kinesis,
    stream: streams.transactions,
    startAt: 'LATEST',
    pollIntervalMs: 100,
    recordsPerCall: 1_000,
    handler: async ({ records }) => {
      const entries = records.flatMap((record) => {
        const { id } = JSON.parse(Buffer.from(record.Data!).toString('utf8')) as { id: string }
        const body = answer(id, n++)
        return body === undefined ? [] : [{ PartitionKey: id, Data: Buffer.from(body) }]
      })
      if (entries.length) await stack.clients.kinesis.send(new PutRecordsCommand({ StreamName: streams.decisions, Records: entries }))
    },
  })
  await reader.open()
  const reading = reader.run(controller.signal)
  return async () => {
    controller.abort()
    await reading
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

describe('the scorer contract, published', () => {
  it('the committed JSON Schemas are the zod schemas fraudlab validates with, and they accept what fraudlab writes', () => {
    for (const path of Object.keys(CONTRACT_SCHEMAS) as Array<keyof typeof CONTRACT_SCHEMAS>) {
      assert.equal(readFileSync(join(REPO_ROOT, path), 'utf8'), renderContractSchema(path), `run \`npm run schema:contract\` and commit ${path}`)
    }
    const ajv = new Ajv2020({ strict: false })
    const decision = ajv.compile(JSON.parse(readFileSync(join(REPO_ROOT, 'docs/contract/decision.schema.json'), 'utf8')))
    const transaction = ajv.compile(JSON.parse(readFileSync(join(REPO_ROOT, 'docs/contract/transaction.schema.json'), 'utf8')))
    assert.equal(decision({ transactionId: 'r-1', verdict: 'block', score: 0.9 }), true, 'the three required fields are enough')
    assert.equal(decision({ transactionId: 'r-1', verdict: 'maybe', score: 0.9 }), false)
    assert.equal(decision({ verdict: 'allow', score: 0.1 }), false)
    const tx = { id: 'r-1', eventTime: 1, account: 'C1', counterparty: 'M1', type: 'PAYMENT', amount: 10, currency: 'USD', channel: 'web' }
    assert.equal(transaction(tx), true)
    assert.equal(transaction({ ...tx, isFraud: 1 }), false, 'labels never travel: a record carrying one breaks the contract')
  })
})

describe('simulate --scorer external: fraudlab tests a scorer it did not start', () => {
  const stack = embeddedStackFixture()

  describeNeeding('against the Python example scorer', pythonMissing, ({ it }) => {
    it('every transaction decided by the Python scorer, nothing lost, BlockList = alerts = blocks, precision and recall as recounted from its own decisions', async () => {
      const scorer = await startPythonScorer(stack)
      const reportsDir = tempDir('external')
      try {
        const run = await runCli(['simulate', '--scorer', 'external', '--scenario', 'paysim-mule', '--count', '1500', '--tps', '300', '--seed', '3', '--json', '--reports-dir', reportsDir], { env: stack.env })
        assert.equal(run.code, 0, run.stderr)
        const summary = JSON.parse(run.stdout) as RunSummary
        assert.equal(summary.config.scorer, 'external')
        const { sent, decided, lost, blocked, blockListItems, alertsReceived } = summary.counts
        assert.deepEqual({ sent, decided, lost }, { sent: 1500, decided: 1500, lost: 0 })
        assert.ok(blocked > 0, 'the rule blocked something')
        assert.deepEqual({ blockListItems, alertsReceived }, { blockListItems: blocked, alertsReceived: blocked })
        assert.ok(summary.latencyMs.stages.scoring.count === 1500, 'the Python scorer’s stage timestamps were used')

        // The verdicts as the Python scorer wrote them to the stream, joined with the labels of the run's log.
        const labels = new Map<string, boolean>()
        for (const line of gunzipSync(readFileSync(join(reportsDir, summary.runId, 'decisions.ndjson.gz'))).toString('utf8').trim().split('\n')) {
          const row = JSON.parse(line) as { id: string; isFraud: boolean }
          labels.set(row.id, row.isFraud)
        }
        let tp = 0
        let fp = 0
        let fn = 0
        const written = (await readWholeStream(stack.clients.kinesis, 'fraudlab-decisions')) as Array<{ transactionId: string; verdict: string; scorerId?: string }>
        for (const decision of written.filter((d) => d.transactionId.startsWith(`${summary.runId}-`))) {
          assert.equal(decision.scorerId, 'python-example')
          const fraud = labels.get(decision.transactionId)
          if (decision.verdict === 'block') fraud ? tp++ : fp++
          else if (fraud) fn++
        }
        assert.equal(summary.accuracy.truePositives, tp)
        assert.equal(summary.accuracy.falsePositives, fp)
        assert.equal(summary.accuracy.falseNegatives, fn)
        assert.equal(summary.accuracy.precision, tp / (tp + fp))
        assert.equal(summary.accuracy.recall, tp / (tp + fn))
      } finally {
        await stop(scorer)
      }
    })

    it('scorer verify passes against it: every canary decided, valid, and each block with its BlockList item and alert', async () => {
      const scorer = await startPythonScorer(stack)
      try {
        const run = await runCli(['scorer', 'verify', '--canaries', '20', '--json'], { env: stack.env })
        assert.equal(run.code, 0, run.stderr)
        const result = JSON.parse(run.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> }
        assert.equal(result.ok, true)
        assert.deepEqual(result.checks.map((c) => [c.name, c.ok]), [['sent', true], ['decided', true], ['valid', true], ['blocklist', true], ['alerts', true]])
        assert.match(result.checks[3].detail, /^4 blocks, each with its BlockList item$/, 'the Python rule blocks the four canaries that empty their account')
      } finally {
        await stop(scorer)
      }
    })
  })

  it('decisions that break the contract are counted as invalid with the first error; their transactions end lost, exit 1, no crash', async () => {
    // A scorer that answers every transaction, a third of them wrongly: no id, a verdict that does not exist, not JSON.
    const stopScorer = await startFakeScorer(stack, (id, n) => {
      const kind = n % 6
      if (kind === 1) return JSON.stringify({ verdict: 'allow', score: 0.1 })
      if (kind === 3) return JSON.stringify({ transactionId: id, verdict: 'maybe', score: 0.1 })
      if (kind === 5) return `{"transactionId": "${id}", verdict`
      return JSON.stringify({ transactionId: id, verdict: 'allow', score: 0.1 })
    })
    try {
      const run = await runCli(['simulate', '--scorer', 'external', '--count', '300', '--tps', '150', '--drain-timeout', '3s', '--json', '--reports-dir', tempDir('malformed')], { env: stack.env })
      assert.equal(run.code, 1, run.stderr)
      const summary = JSON.parse(run.stdout) as RunSummary
      assert.equal(summary.counts.sent, 300)
      assert.equal(summary.counts.decided, 150)
      assert.equal(summary.counts.lost, 150)
      assert.equal(summary.counts.invalidRecords, 150)
      assert.equal(summary.reconciliation.ok, false)
      const note = summary.reconciliation.notes.find((n) => n.includes('broke the decision contract')) ?? ''
      assert.match(note, /^150 records on the decisions stream broke the decision contract .*; the first: (transactionId: Invalid input: expected string, received undefined|verdict: Invalid option: expected one of "allow".*|not JSON) \(in ".*"\)$/)
      assert.doesNotMatch(run.stderr, /\n\s+at /)
    } finally {
      await stopScorer()
    }
  })

  it('scorer verify fails against a scorer that drops every tenth record, naming the canaries it dropped', async () => {
    const dropped: string[] = []
    const stopScorer = await startFakeScorer(stack, (id, n) => {
      if (n % 10 === 9) return void dropped.push(id)
      return JSON.stringify({ transactionId: id, verdict: 'allow', score: 0.2 })
    })
    try {
      const run = await runCli(['scorer', 'verify', '--canaries', '20', '--timeout', '4s'], { env: stack.env })
      assert.equal(run.code, 1, run.stderr)
      assert.equal(dropped.length, 2)
      assert.match(run.stdout, /^pass {2}sent {6}20 canary transactions written to fraudlab-transactions$/m)
      const failed = /^FAIL {2}decided {3}2 of 20 canaries got no decision within 4 s: (.+)$/m.exec(run.stdout)
      assert.ok(failed, run.stdout)
      assert.deepEqual(failed[1].split(', ').sort(), [...dropped].sort())
      assert.match(run.stderr, /The scorer does not meet the contract \(docs\/scorer-contract\.md\): decided failed\./)
    } finally {
      await stopScorer()
    }
  })

  it('--observe effects: blocks from alerts and the BlockList, the rest allowed once effects are quiet: the same confusion matrix as reading the decisions stream', async () => {
    // Streams of their own: fraudlab's scorer would otherwise first read what the external scorers of the tests above left unscored.
    const run = (observe: string) => runCli(['simulate', '--prefix', 'observe-', '--scenario', 'mixed', '--count', '1500', '--tps', '300', '--seed', '4', '--observe', observe, '--json', '--reports-dir', tempDir('observe')], { env: stack.env })
    const fromDecisions = JSON.parse((await run('decisions')).stdout) as RunSummary
    const effectsRun = await run('effects')
    assert.equal(effectsRun.code, 0, effectsRun.stderr)
    const fromEffects = JSON.parse(effectsRun.stdout) as RunSummary
    // A review has no effect: seen from the effects, it was allowed. Retries and lateness vary from run to run.
    const outcome = (s: RunSummary) => ({ ...s.counts, reviewed: 0, throttled: 0, retried: 0, late: 0, tp: s.accuracy.truePositives, fp: s.accuracy.falsePositives, fn: s.accuracy.falseNegatives, tn: s.accuracy.trueNegatives })
    assert.ok(fromDecisions.counts.blocked > 0)
    assert.deepEqual(outcome(fromEffects), outcome(fromDecisions))
    assert.equal(fromEffects.counts.lost, 0)
    assert.equal(fromEffects.latencyMs.decision.count, fromEffects.counts.blocked, 'only blocks are timed')
    assert.match(fromEffects.reconciliation.notes.join('\n'), new RegExp(`effects only: .*; ${1500 - fromEffects.counts.blocked} transactions without a block 5 s after the last effect were counted as allowed`))
  })

  it('uses the streams, table and topic the user names as they are: nothing created for them, nothing tagged, nothing deleted', async () => {
    const { kinesis, dynamodb, sns } = stack.clients
    await kinesis.send(new CreateStreamCommand({ StreamName: 'team-payments', ShardCount: 1 }))
    await kinesis.send(new CreateStreamCommand({ StreamName: 'team-verdicts', ShardCount: 1 }))
    await dynamodb.send(new CreateTableCommand({ TableName: 'team-blocklist', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'account', AttributeType: 'S' }, { AttributeName: 'transactionId', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'account', KeyType: 'HASH' }, { AttributeName: 'transactionId', KeyType: 'RANGE' }] }))
    await sns.send(new CreateTopicCommand({ Name: 'team-alerts' }))
    while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'team-verdicts' }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 100))
    const stopScorer = await startFakeScorer(stack, (id) => JSON.stringify({ transactionId: id, verdict: 'allow', score: 0.1 }), { transactions: 'team-payments', decisions: 'team-verdicts' })
    try {
      const named = ['--transactions-stream', 'team-payments', '--decisions-stream', 'team-verdicts', '--blocklist-table', 'team-blocklist', '--alerts-topic', 'team-alerts']
      const run = await runCli(['simulate', '--scorer', 'external', ...named, '--count', '200', '--tps', '100', '--json', '--reports-dir', tempDir('named')], { env: stack.env })
      assert.equal(run.code, 0, run.stderr)
      const summary = JSON.parse(run.stdout) as RunSummary
      assert.deepEqual([summary.counts.sent, summary.counts.decided, summary.counts.lost], [200, 200, 0])
      assert.equal(summary.config.transactionsStream, 'team-payments')
      for (const stream of ['team-payments', 'team-verdicts']) assert.deepEqual((await kinesis.send(new ListTagsForStreamCommand({ StreamName: stream }))).Tags, [], `${stream} untouched`)
      const streams = (await kinesis.send(new ListStreamsCommand({}))).StreamNames ?? []
      assert.ok(streams.includes('team-payments') && streams.includes('team-verdicts'))
      assert.equal(streams.filter((name) => name.startsWith('fraudlab-')).length, 2, 'no stream created in their place')
    } finally {
      await stopScorer()
    }
  })

  it('--scorer external refuses what only fraudlab’s own scorer does, and resources that do not exist', async () => {
    const crash = await runCli(['simulate', '--scorer', 'external', '--inject', 'scorer.crash=every:5s', '--dry-run'], { env: stack.env })
    assert.equal(crash.code, 2)
    assert.match(crash.stderr, /--inject scorer\.crash act on fraudlab's own scorer; with --scorer external your scorer runs it/)
    const scorers = await runCli(['simulate', '--scorer', 'external', '--scorers', '3', '--dry-run'], { env: stack.env })
    assert.equal(scorers.code, 2)
    assert.match(scorers.stderr, /--scorers act on fraudlab's own scorer/)
    const missing = await runCli(['simulate', '--scorer', 'external', '--transactions-stream', 'nobody-has-this', '--count', '10', '--reports-dir', tempDir('missing')], { env: stack.env })
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /--transactions-stream nobody-has-this: no such stream on this target/)
  })
})
