import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  CreateStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListStreamConsumersCommand,
  ListTagsForResourceCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  UpdateShardCountCommand,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler'
import { errorName } from '../src/aws/backoff.js'
import type { RunSummary } from '../src/report/run-summary.js'
import { startEmbeddedStack } from '../src/stack/embedded-stack.js'
import { AwsFront } from '../src/stack/front/aws-front.js'
import { AWS_FAN_OUT, FanOutServer } from '../src/stack/kinesis/fan-out-server.js'
import { KinesisEngineBackend } from '../src/stack/kinesis/kinesis-backend.js'
import { KinesisEngine } from '../src/stack/kinesis/kinesis-engine.js'
import { ShardSubscriber } from '../src/stream/shard-subscriber.js'
import { awsPreflight } from '../src/stack/aws-preflight.js'
import { deleteManaged, managedConsumers } from '../src/stack/aws-teardown.js'
import { managedConsumerTags } from '../src/stack/provision.js'
import { resourceNames } from '../src/stack/resource-names.js'
import { COLLECTOR_CONSUMER_NAME, SCORER_CONSUMER_NAME } from '../src/stream/consumer-names.js'
import { embeddedStackFixture, runCli, tempDir } from './helpers.js'

const SHARD = 'shardId-000000000000'
const credentials = { accessKeyId: 'fraudlab', secretAccessKey: 'fraudlab' }

interface Received {
  records: Array<{ data: string; sequenceNumber: string; partitionKey: string; arrivedAt: number; receivedAt: number }>
  continuations: string[]
  millisBehind: number[]
  events: number
  ended: 'end' | string
}

/**
 * Reads a subscription with the SDK's own event-stream decoder until it ends, or until `stopAfter`
 * records, when `abort` closes it (as a consumer that stops reading must).
 */
async function drainSubscription(stream: AsyncIterable<SubscribeToShardEventStream> | undefined, stopAfter = Infinity, abort?: AbortController): Promise<Received> {
  const received: Received = { records: [], continuations: [], millisBehind: [], events: 0, ended: 'end' }
  try {
    for await (const event of stream ?? []) {
      const e = event.SubscribeToShardEvent
      assert.ok(e, `an event the SDK knows: ${Object.keys(event).join(',')}`)
      received.events++
      for (const record of e.Records ?? []) {
        received.records.push({ data: Buffer.from(record.Data!).toString('utf8'), sequenceNumber: record.SequenceNumber!, partitionKey: record.PartitionKey!, arrivedAt: record.ApproximateArrivalTimestamp!.getTime(), receivedAt: Date.now() })
      }
      received.continuations.push(e.ContinuationSequenceNumber!)
      received.millisBehind.push(e.MillisBehindLatest!)
      if (received.records.length >= stopAfter) {
        abort?.abort()
        break
      }
    }
  } catch (error) {
    received.ended = errorName(error)
  }
  return received
}

describe('enhanced fan-out on the embedded Kinesis, through the SDK’s own HTTP/2 client and event-stream decoder', () => {
  const engine = new KinesisEngine()
  const front = new AwsFront('kinesis', new KinesisEngineBackend(engine), { limits: false, throttle: 0, latencyMs: 0, seed: 1 })
  const fanOut = new FanOutServer(engine, { subscriptionLifetimeMs: 1_500, heartbeatMs: 400 })
  let kinesis: KinesisClient
  let subscriber: KinesisClient
  let streamArn: string
  const put = (keys: string[], prefix: string) => kinesis.send(new PutRecordsCommand({ StreamName: 'efo', Records: keys.map((key, i) => ({ PartitionKey: key, Data: Buffer.from(`${prefix}-${i}`) })) }))

  before(async () => {
    const port = await front.listen(0)
    const efoPort = await fanOut.listen(0)
    kinesis = new KinesisClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, requestHandler: new NodeHttpHandler() })
    subscriber = new KinesisClient({ endpoint: `http://127.0.0.1:${efoPort}`, region: 'us-east-1', credentials, requestHandler: new NodeHttp2Handler(), maxAttempts: 1 })
    await kinesis.send(new CreateStreamCommand({ StreamName: 'efo', ShardCount: 1 }))
    streamArn = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'efo' }))).StreamDescriptionSummary!.StreamARN!
  })
  after(async () => {
    kinesis.destroy()
    subscriber.destroy()
    await fanOut.close()
    await front.close()
  })

  it('registers, describes, lists and deregisters consumers as AWS does, up to 20 a stream', async () => {
    const { Consumer: consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'scorers' }))
    assert.equal(consumer?.ConsumerStatus, 'ACTIVE')
    assert.match(consumer!.ConsumerARN!, new RegExp(`^${streamArn}/consumer/scorers:\\d+$`))
    const again = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'scorers' })).catch((error: unknown) => error)
    assert.equal(errorName(again), 'ResourceInUseException', 'registering twice is refused: the caller describes the existing one')
    const described = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumer!.ConsumerARN }))
    assert.equal(described.ConsumerDescription?.StreamARN, streamArn)
    for (let i = 1; i < 20; i++) await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: `extra-${i}` }))
    const over = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'one-too-many' })).catch((error: unknown) => error)
    assert.equal(errorName(over), 'LimitExceededException')
    assert.equal((await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }))).Consumers?.length, 20)
    assert.equal((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'efo' }))).StreamDescriptionSummary?.ConsumerCount, 20)
    for (let i = 1; i < 20; i++) await kinesis.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: `extra-${i}` }))
    assert.deepEqual((await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }))).Consumers?.map((c) => c.ConsumerName), ['scorers'])
  })

  it('pushes records no sooner than the push latency after they arrive, with their continuation; ends the subscription after its lifetime; a new one resumes after the continuation with no gap and no duplicate', async () => {
    const { ConsumerDescription: consumer } = await kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'scorers' }))
    const first = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: consumer!.ConsumerARN, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } }))
    const putAt = Date.now()
    await put(['a', 'b', 'c'], 'first')
    const received = await drainSubscription(first.EventStream)
    assert.equal(received.ended, 'end', 'the subscription ended after its lifetime, as AWS ends one after 5 minutes')
    assert.deepEqual(received.records.map((r) => r.data), ['first-0', 'first-1', 'first-2'])
    assert.deepEqual(received.records.map((r) => r.partitionKey), ['a', 'b', 'c'])
    assert.ok(received.records.every((r) => r.receivedAt - putAt >= fanOut.settings.pushLatencyMs), 'never sooner than the push latency')
    assert.ok(received.events >= 3, `heartbeat events while idle (${received.events})`)
    const continuation = received.continuations.at(-1)!
    assert.equal(continuation, received.records.at(-1)!.sequenceNumber, 'the continuation is the last record delivered')

    // Records written between the two subscriptions are not lost: the next one starts after the continuation.
    await put(['d', 'e'], 'between')
    const abort = new AbortController()
    const renewed = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: consumer!.ConsumerARN, ShardId: SHARD, StartingPosition: { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: continuation } }), { abortSignal: abort.signal })
    const next = await drainSubscription(renewed.EventStream, 2, abort)
    assert.deepEqual(next.records.map((r) => r.data), ['between-0', 'between-1'])
  })

  it('at the end of a shard a reshard closed: the last records, then an event with no continuation naming the children (the SDK parses it), and the subscription ends', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'efo-reshard', ShardCount: 1 }))
    const arn = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'efo-reshard' }))).StreamDescriptionSummary!.StreamARN!
    const { Consumer: consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'reshard' }))
    await kinesis.send(new PutRecordsCommand({ StreamName: 'efo-reshard', Records: ['a', 'b'].map((key) => ({ PartitionKey: key, Data: Buffer.from(`before-${key}`) })) }))
    await kinesis.send(new UpdateShardCountCommand({ StreamName: 'efo-reshard', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }))
    const { EventStream } = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: consumer!.ConsumerARN, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' } }))
    const events: Array<{ records: string[]; continuation: string | undefined; children: Array<[string, string[]]> | undefined }> = []
    for await (const event of EventStream ?? []) {
      const e = event.SubscribeToShardEvent!
      events.push({ records: (e.Records ?? []).map((r) => Buffer.from(r.Data!).toString('utf8')), continuation: e.ContinuationSequenceNumber ?? undefined, children: e.ChildShards?.map((c) => [c.ShardId!, c.ParentShards!]) })
    }
    assert.deepEqual(events.flatMap((e) => e.records), ['before-a', 'before-b'])
    const last = events.at(-1)!
    assert.equal(last.continuation, undefined)
    assert.deepEqual(last.children, [
      ['shardId-000000000001', [SHARD]],
      ['shardId-000000000002', [SHARD]],
    ])
    assert.ok(events.slice(0, -1).every((e) => e.continuation !== undefined && e.children === undefined), 'only the last event names children')
  })

  it('refuses a second subscription of one consumer to one shard, and a consumer that does not exist, with AWS’ errors', async () => {
    const { ConsumerDescription: consumer } = await kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'scorers' }))
    const open = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: consumer!.ConsumerARN, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } }))
    const second = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: consumer!.ConsumerARN, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } })).catch((error: unknown) => error)
    assert.equal(errorName(second), 'ResourceInUseException')
    const missing = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: `${streamArn}/consumer/nobody:1`, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } })).catch((error: unknown) => error)
    assert.equal(errorName(missing), 'ResourceNotFoundException')
    await drainSubscription(open.EventStream)
  })

  it('ends a subscription whose consumer is deregistered with a ResourceNotFoundException event the SDK raises', async () => {
    const { Consumer: consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'short-lived' }))
    const subscription = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: consumer!.ConsumerARN, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' } }))
    setTimeout(() => void kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumer!.ConsumerARN })), 200)
    const received = await drainSubscription(subscription.EventStream)
    assert.equal(received.ended, 'ResourceNotFoundException')
    assert.equal(received.records.length, 5, 'what the shard held was pushed first')
  })

  it('a reader that starts at LATEST is positioned when it opens: it gets what was put after open, before run, and nothing from before', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'latest', ShardCount: 2 }))
    const putMany = (prefix: string) => kinesis.send(new PutRecordsCommand({ StreamName: 'latest', Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`${prefix}-${i}`) })) }))
    await putMany('before')
    const seen: string[] = []
    const reader = new ShardSubscriber({ kinesis, subscriber, stream: 'latest', consumerName: 'collector', startAt: 'LATEST', handler: (batch) => void seen.push(...batch.records.map((r) => Buffer.from(r.Data!).toString('utf8'))) })
    await reader.open()
    await putMany('after-open')
    // Longer than the push latency: a subscription taken at run() instead of open() would miss these.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const stop = new AbortController()
    const running = reader.run(stop.signal)
    await putMany('running')
    const deadline = Date.now() + 5_000
    while (seen.length < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    stop.abort()
    await running
    assert.deepEqual(seen.filter((data) => data.startsWith('before')), [])
    assert.equal(seen.filter((data) => data.startsWith('after-open')).length, 20)
    assert.equal(seen.filter((data) => data.startsWith('running')).length, 20)
  })

  it('pushes at most 2 MiB a second per consumer and shard', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'bulk', ShardCount: 1 }))
    const bulkArn = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'bulk' }))).StreamDescriptionSummary!.StreamARN!
    const { Consumer: bulkConsumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: bulkArn, ConsumerName: 'bulk' }))
    const payload = Buffer.alloc(100 * 1024, 7)
    for (let batch = 0; batch < 6; batch++) await kinesis.send(new PutRecordsCommand({ StreamName: 'bulk', Records: Array.from({ length: 10 }, (_, i) => ({ PartitionKey: `k${i}`, Data: payload })) }))
    const startedAt = Date.now()
    const records: string[] = []
    // Subscriptions here last 1.5 s: each next one starts after the last one's continuation.
    let position: { Type: 'TRIM_HORIZON' } | { Type: 'AFTER_SEQUENCE_NUMBER'; SequenceNumber: string } = { Type: 'TRIM_HORIZON' }
    while (records.length < 60) {
      const abort = new AbortController()
      const subscription = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: bulkConsumer!.ConsumerARN, ShardId: SHARD, StartingPosition: position }), { abortSignal: abort.signal })
      const received = await drainSubscription(subscription.EventStream, 60 - records.length, abort)
      records.push(...received.records.map((r) => r.sequenceNumber))
      position = { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: received.continuations.at(-1)! }
    }
    const seconds = (Date.now() - startedAt) / 1000
    // 60 records of 100 KiB, about 8 MiB as the JSON they travel in: a full 2 MiB bucket, then 2 MiB a second.
    assert.equal(new Set(records).size, 60, 'each record once, across the renewals')
    assert.ok(seconds >= 2.5, `6 MiB of data (8 MiB on the wire) took ${seconds.toFixed(1)} s`)
  })
})

describe('the embedded stack serves enhanced fan-out from its Kinesis process', () => {
  it('records its SubscribeToShard endpoint (HTTP/2) beside the Kinesis endpoint, and pushes there what is put through the front', async () => {
    const stack = await startEmbeddedStack({ detached: false })
    const endpoints = stack.endpoints()
    assert.match(endpoints.kinesisFanOut ?? '', /^http:\/\/127\.0\.0\.1:\d+$/)
    const kinesis = new KinesisClient({ endpoint: endpoints.kinesis, region: 'us-east-1', credentials, requestHandler: new NodeHttpHandler() })
    const subscriber = new KinesisClient({ endpoint: endpoints.kinesisFanOut, region: 'us-east-1', credentials, requestHandler: new NodeHttp2Handler() })
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'pushed', ShardCount: 1 }))
      const streamArn = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'pushed' }))).StreamDescriptionSummary!.StreamARN!
      const { Consumer: consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'scorer' }))
      const abort = new AbortController()
      const subscription = await subscriber.send(new SubscribeToShardCommand({ ConsumerARN: consumer!.ConsumerARN, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } }), { abortSignal: abort.signal })
      await kinesis.send(new PutRecordsCommand({ StreamName: 'pushed', Records: [{ PartitionKey: 'k', Data: Buffer.from('over http/2') }] }))
      const received = await drainSubscription(subscription.EventStream, 1, abort)
      assert.deepEqual(received.records.map((r) => r.data), ['over http/2'])
    } finally {
      kinesis.destroy()
      subscriber.destroy()
      await stack.stop()
    }
  })
})

describe('fraudlab’s scorer on enhanced fan-out (--consumer efo)', () => {
  const stack = embeddedStackFixture()
  const run = async (extra: string[]) => {
    const result = await runCli(['simulate', '--consumer', 'efo', '--tps', '300', '--json', '--reports-dir', tempDir('efo'), ...extra], { env: stack.env })
    assert.equal(result.code, 0, result.stderr)
    return JSON.parse(result.stdout) as RunSummary & { diagnostics: { scorer: { subscriptions: number; getRecordsCalls: number; gathered: { groups: number; items: number } } } }
  }

  it('decides every transaction from pushed records: nothing lost, no duplicate, propagation well under polling’s 200 ms', async () => {
    const summary = await run(['--duration', '6s', '--prefix', 'efo-a-'])
    assert.equal(summary.config.consumer, 'efo')
    assert.deepEqual([summary.counts.lost, summary.counts.duplicated], [0, 0])
    assert.equal(summary.counts.decided, summary.counts.sent)
    assert.equal(summary.diagnostics.scorer.getRecordsCalls, 0, 'no polling')
    const { groups, items } = summary.diagnostics.scorer.gathered
    assert.ok(groups > 0 && items >= groups, `pushes decided in groups: ${items} pushes in ${groups} groups`)
    assert.ok((summary.latencyMs.stages.propagation.p99 ?? Infinity) < 150, `propagation p99 ${summary.latencyMs.stages.propagation.p99} ms`)
    assert.ok((summary.latencyMs.stages.propagation.p50 ?? 0) >= AWS_FAN_OUT.pushLatencyMs, 'never sooner than the push latency')
  })

  it('renews each subscription when it ends (here every second): no gap that loses a record, no duplicate', async () => {
    const summary = await run(['--duration', '8s', '--prefix', 'efo-b-', '--inject', 'efo.lifetime=1s'])
    assert.deepEqual([summary.counts.lost, summary.counts.duplicated, summary.counts.decided], [0, 0, summary.counts.sent])
    const shards = Number(summary.config.shards)
    assert.ok(summary.diagnostics.scorer.subscriptions >= shards * 6, `${summary.diagnostics.scorer.subscriptions} subscriptions over ${shards} shards in 8 s`)
  })

  it('a scorer killed mid-subscription resumes from its checkpoint: nothing lost, what it replays counted as duplicates', async () => {
    const summary = await run(['--duration', '10s', '--prefix', 'efo-c-', '--inject', 'scorer.crash=every:3s', '--lease-failover', '2s'])
    assert.ok(summary.counts.scorerRestarts >= 2, `${summary.counts.scorerRestarts} restarts`)
    assert.equal(summary.counts.lost, 0)
    assert.equal(summary.counts.decided, summary.counts.sent)
    assert.equal(summary.reconciliation.ok, true, summary.reconciliation.notes.join('; '))
  })
})

describe('enhanced fan-out consumers: the collector’s own, the AWS plan’s list and cost, and their removal', () => {
  const stack = embeddedStackFixture()
  const streamArn = async (stream: string) => (await stack.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary!.StreamARN!
  const consumersOf = async (stream: string) => (await stack.clients.kinesis.send(new ListStreamConsumersCommand({ StreamARN: await streamArn(stream) }))).Consumers ?? []
  const tagsOf = async (consumerArn: string) => (await stack.clients.kinesis.send(new ListTagsForResourceCommand({ ResourceARN: consumerArn }))).Tags ?? []

  it('the collector reads the decisions by a consumer of its own (--collector-consumer efo): nothing lost, both consumers tagged as fraudlab’s', async () => {
    const reportsDir = tempDir('efo')
    const result = await runCli(['simulate', '--consumer', 'efo', '--collector-consumer', 'efo', '--tps', '300', '--duration', '5s', '--prefix', 'efo-d-', '--reports-dir', reportsDir], { env: stack.env })
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /enhanced fan-out · collector by enhanced fan-out/)
    assert.match(result.stdout, /lost 0, duplicated 0/)
    assert.match(result.stdout, /^ {2}propagation efo /m)
    assert.match(result.stdout, /^ {2}collection efo /m)
    // Every report names how each stream was read.
    const [runId] = readdirSync(reportsDir)
    const markdown = readFileSync(join(reportsDir, runId, 'summary.md'), 'utf8')
    assert.match(markdown, /The scorer read the transactions by enhanced fan-out; fraudlab read the decisions by enhanced fan-out\./)
    assert.match(markdown, /^\| propagation efo \|/m)
    const html = readFileSync(join(reportsDir, runId, 'report.html'), 'utf8')
    assert.match(html, /<b>scorer reads by<\/b> enhanced fan-out/)
    assert.match(html, /<td>stream propagation efo<\/td>/)
    const [scorer] = await consumersOf('efo-d-transactions')
    const [collector] = await consumersOf('efo-d-decisions')
    assert.deepEqual([scorer?.ConsumerName, collector?.ConsumerName], [SCORER_CONSUMER_NAME, COLLECTOR_CONSUMER_NAME])
    for (const consumer of [scorer, collector]) assert.deepEqual(await tagsOf(consumer.ConsumerARN!), [{ Key: 'fraudlab-managed', Value: 'true' }, { Key: 'fraudlab-prefix', Value: 'efo-d-' }])
  })

  it('on streams the user owns, a run deregisters the consumers it registered when it ends, and leaves the user’s own', async () => {
    for (const stream of ['users-transactions', 'users-decisions']) await stack.clients.kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }))
    await stack.clients.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: await streamArn('users-transactions'), ConsumerName: 'their-app' }))
    const result = await runCli(
      ['simulate', '--consumer', 'efo', '--collector-consumer', 'efo', '--tps', '200', '--duration', '3s', '--prefix', 'efo-e-', '--transactions-stream', 'users-transactions', '--decisions-stream', 'users-decisions', '--json', '--reports-dir', tempDir('efo')],
      { env: stack.env },
    )
    assert.equal(result.code, 0, result.stderr)
    const summary = JSON.parse(result.stdout) as RunSummary
    assert.deepEqual([summary.counts.lost, summary.counts.decided], [0, summary.counts.sent])
    assert.deepEqual((await consumersOf('users-transactions')).map((c) => c.ConsumerName), ['their-app'])
    assert.deepEqual(await consumersOf('users-decisions'), [])
  })

  it('the AWS plan lists the consumers registered on the run’s streams and those it would register, with their hourly cost', async () => {
    const names = resourceNames('efo-d-')
    const lines = await awsPreflight(stack.clients, { names, transactionShards: 4, decisionShards: 2, region: 'us-east-1', fanOutConsumers: [{ stream: names.transactionsStream, name: SCORER_CONSUMER_NAME }, { stream: names.decisionsStream, name: 'fraudlab-other' }] }, { account: '000000000000', arn: 'arn:test' })
    const text = lines.join('\n')
    assert.match(text, /Enhanced fan-out consumers on efo-d-transactions: fraudlab-scorer \(active, reused\)/)
    assert.match(text, /Enhanced fan-out consumers on efo-d-decisions: fraudlab-collector \(active\), fraudlab-other \(to register\)/)
    // The streams exist with their own shard counts, but the plan is for the counts asked: 1 consumer × 4 shards + 2 × 2.
    assert.match(text, /Enhanced fan-out: 8 consumer-shard-hours per hour at \$0\.015 = \$0\.120\/hour while registered/)
  })

  it('stack down’s plan finds the consumers fraudlab registered for a prefix on streams it did not create, and deregisters only those', async () => {
    await stack.clients.kinesis.send(new CreateStreamCommand({ StreamName: 'someone-elses', ShardCount: 1 }))
    const arn = await streamArn('someone-elses')
    await stack.clients.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: SCORER_CONSUMER_NAME, Tags: managedConsumerTags(resourceNames('left-behind-')) }))
    await stack.clients.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: COLLECTOR_CONSUMER_NAME }))
    const found = await managedConsumers(stack.clients, 'left-behind-', ['someone-elses'])
    assert.deepEqual(found.map((r) => [r.kind, r.name]), [['consumer', `${SCORER_CONSUMER_NAME} on someone-elses`]], 'an untagged consumer with fraudlab’s name is not fraudlab’s')
    assert.deepEqual(await managedConsumers(stack.clients, 'another-prefix-', ['someone-elses']), [])
    await deleteManaged(stack.clients, { managed: found })
    assert.deepEqual((await consumersOf('someone-elses')).map((c) => c.ConsumerName), [COLLECTOR_CONSUMER_NAME])
  })
})
