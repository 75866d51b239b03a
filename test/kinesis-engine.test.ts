import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import type { Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RemoveTagsFromStreamCommand,
} from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { EMULATOR_CREDENTIALS } from '../src/aws/endpoints.js'
import { AwsFront } from '../src/stack/front/aws-front.js'
import { KinesisEngineBackend } from '../src/stack/kinesis/kinesis-backend.js'
import { ITERATOR_TTL_MS, KinesisEngine, KinesisError } from '../src/stack/kinesis/kinesis-engine.js'

const require = createRequire(import.meta.url)

function client(port: number): KinesisClient {
  return new KinesisClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: EMULATOR_CREDENTIALS, requestHandler: new NodeHttpHandler(), maxAttempts: 1 })
}

/** What must agree between two Kinesis implementations: the shape (keys and value types), not generated values. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape)
  if (value instanceof Date) return 'Date'
  if (value instanceof Uint8Array) return 'bytes'
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '$metadata')
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, v]) => [key, shape(v)]),
    )
  }
  return typeof value
}

async function outcome<T>(call: Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await call }
  } catch (error) {
    return { error: (error as Error).name }
  }
}

/** The calls fraudlab and the SDK make, in the order a run makes them, with the answers that matter kept as values. */
async function script(kinesis: KinesisClient) {
  const log: Array<[string, unknown]> = []
  const record = (name: string, value: unknown) => log.push([name, value])
  const stream = 'conformance'
  record('CreateStream', shape(await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 3 }))))
  record('CreateStream again', await outcome(kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 3 }))).then((o) => ('error' in o ? o.error : 'ok')))
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
  record('DescribeStreamSummary', shape(summary))
  record('summary values', { name: summary.StreamDescriptionSummary?.StreamName, status: summary.StreamDescriptionSummary?.StreamStatus, open: summary.StreamDescriptionSummary?.OpenShardCount, arn: summary.StreamDescriptionSummary?.StreamARN })
  record('DescribeStream', shape(await kinesis.send(new DescribeStreamCommand({ StreamName: stream }))))
  record('missing stream', await outcome(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'nope' }))).then((o) => ('error' in o ? o.error : 'ok')))
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: stream }))
  record('ListShards', shape(shards))
  record('hash key ranges', shards.Shards?.map((s) => [s.ShardId, s.HashKeyRange?.StartingHashKey, s.HashKeyRange?.EndingHashKey]))
  record('ListStreams', await kinesis.send(new ListStreamsCommand({})).then((o) => [o.StreamNames, o.HasMoreStreams]))
  await kinesis.send(new AddTagsToStreamCommand({ StreamName: stream, Tags: { 'fraudlab-managed': 'true', team: 'fraud' } }))
  await kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: stream, TagKeys: ['team'] }))
  const tags = await kinesis.send(new ListTagsForStreamCommand({ StreamName: stream }))
  record('ListTagsForStream', [shape(tags), tags.Tags])

  // Writes: placement by the MD5 of the partition key, per-record results in order.
  const keys = Array.from({ length: 60 }, (_, i) => `account-${i}`)
  const put = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: keys.map((key, i) => ({ PartitionKey: key, Data: Buffer.from(`record ${i}`) })) }))
  record('PutRecords', shape(put))
  record('placement', put.Records?.map((r) => r.ShardId))
  record('FailedRecordCount', put.FailedRecordCount)
  // Placement by an explicit hash key, as an aggregating producer writes: the partition key is then not hashed.
  const hashKeys = (shards.Shards ?? []).flatMap((s) => [s.HashKeyRange!.StartingHashKey!, s.HashKeyRange!.EndingHashKey!])
  const explicit = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: hashKeys.map((hashKey, i) => ({ PartitionKey: 'account-0', ExplicitHashKey: hashKey, Data: Buffer.from(`explicit ${i}`) })) }))
  record('placement by explicit hash key', explicit.Records?.map((r) => r.ShardId))
  const single = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'account-0', Data: Buffer.from('one more') }))
  record('PutRecord', [shape(single), single.ShardId])
  record('put to a missing stream', await outcome(kinesis.send(new PutRecordsCommand({ StreamName: 'nope', Records: [{ PartitionKey: 'a', Data: Buffer.from('x') }] }))).then((o) => ('error' in o ? o.error : 'ok')))

  // Reads: every record once, in sequence order per shard, from TRIM_HORIZON, AFTER_ and AT_SEQUENCE_NUMBER, and LATEST.
  const read: string[] = []
  for (const shard of shards.Shards ?? []) {
    const iterator = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    record(`GetShardIterator ${shard.ShardId}`, shape(iterator))
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: 1_000 }))
    record(`GetRecords ${shard.ShardId}`, shape({ ...page, Records: page.Records?.slice(0, 1) }))
    record(`MillisBehindLatest ${shard.ShardId}`, page.MillisBehindLatest)
    const sequences = (page.Records ?? []).map((r) => r.SequenceNumber!)
    record(`in order ${shard.ShardId}`, sequences.every((s, i) => i === 0 || BigInt(s) > BigInt(sequences[i - 1])))
    record(`partition keys ${shard.ShardId}`, page.Records?.map((r) => r.PartitionKey))
    for (const r of page.Records ?? []) read.push(Buffer.from(r.Data!).toString())
    const empty = await kinesis.send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator }))
    record(`caught up ${shard.ShardId}`, [empty.Records?.length, empty.MillisBehindLatest, typeof empty.NextShardIterator])
    if (sequences.length >= 2) {
      const after = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: sequences[0] }))
      const fromSecond = await kinesis.send(new GetRecordsCommand({ ShardIterator: after.ShardIterator }))
      record(`after the first ${shard.ShardId}`, fromSecond.Records?.map((r) => r.SequenceNumber === sequences[1]).slice(0, 1))
      const at = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: sequences[1] }))
      const fromAt = await kinesis.send(new GetRecordsCommand({ ShardIterator: at.ShardIterator, Limit: 1 }))
      record(`at the second ${shard.ShardId}`, [fromAt.Records?.length, fromAt.Records?.[0]?.SequenceNumber === sequences[1]])
    }
    const latest = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'LATEST' }))
    record(`LATEST ${shard.ShardId}`, (await kinesis.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator }))).Records?.length)
  }
  record('every record read once', read.sort())
  record('missing shard', await outcome(kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000009', ShardIteratorType: 'LATEST' }))).then((o) => ('error' in o ? o.error : 'ok')))
  record('bad iterator', await outcome(kinesis.send(new GetRecordsCommand({ ShardIterator: 'not-an-iterator-at-all' }))).then((o) => ('error' in o ? o.error : 'ok')))
  record('DeleteStream', shape(await kinesis.send(new DeleteStreamCommand({ StreamName: stream }))))
  return log
}

describe('the embedded Kinesis engine answers as kinesalite does, through the unmodified SDK', () => {
  let kinesalite: Server
  let front: AwsFront
  let kinesalitePort: number
  let enginePort: number

  before(async () => {
    kinesalite = require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 }) as Server
    await new Promise<void>((resolve) => kinesalite.listen(0, '127.0.0.1', () => resolve()))
    kinesalitePort = (kinesalite.address() as { port: number }).port
    // Limits off: this compares protocols; the limits have their own tests.
    front = new AwsFront('kinesis', new KinesisEngineBackend(), { limits: false, throttle: 0, latencyMs: 0, seed: 1 })
    enginePort = await front.listen(0)
  })

  after(async () => {
    await front.close()
    await new Promise<void>((resolve) => kinesalite.close(() => resolve()))
  })

  it('every call fraudlab and the SDK make: same shapes, errors, placement, order and records', async () => {
    const reference = await script(client(kinesalitePort))
    const ours = await script(client(enginePort))
    assert.deepEqual(ours.map(([name]) => name), reference.map(([name]) => name))
    for (let i = 0; i < reference.length; i++) assert.deepEqual(ours[i], reference[i], `${reference[i][0]}`)
  })
})

describe('the embedded Kinesis engine on its own', () => {
  const call = (engine: KinesisEngine, action: string, input: Record<string, unknown>) => JSON.parse(engine.call(action, input) || '{}')

  it('expires a shard iterator after 5 minutes, as AWS does', () => {
    let now = 1_000_000
    const engine = new KinesisEngine({ now: () => now })
    engine.call('CreateStream', { StreamName: 's', ShardCount: 1 })
    const { ShardIterator } = call(engine, 'GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' })
    now += ITERATOR_TTL_MS
    assert.equal(call(engine, 'GetRecords', { ShardIterator }).Records.length, 0)
    now += 1
    assert.throws(() => engine.call('GetRecords', { ShardIterator }), (e: KinesisError) => e.type === 'ExpiredIteratorException')
  })

  it('keeps memory bounded: a full shard drops its oldest records, and a reader behind them skips to what is held', () => {
    const engine = new KinesisEngine({ maxHeldBytes: 200_000 })
    engine.call('CreateStream', { StreamName: 's', ShardCount: 1 })
    const { ShardIterator } = call(engine, 'GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })
    const data = Buffer.alloc(300, 7).toString('base64')
    for (let i = 0; i < 100; i++) engine.call('PutRecords', { StreamName: 's', Records: Array.from({ length: 50 }, (_, j) => ({ Data: data, PartitionKey: `k${i}-${j}` })) })
    let held = 0
    let next = ShardIterator
    for (;;) {
      const page = call(engine, 'GetRecords', { ShardIterator: next })
      held += page.Records.length
      next = page.NextShardIterator
      if (page.Records.length === 0) break
    }
    // 5,000 records of ~560 bytes of JSON were written; about 200 KB of them are held.
    assert.ok(held > 200 && held < 400, `${held} records held`)
  })

  it('caps a GetRecords page at 10,000 records and says how far behind the reader is', () => {
    let now = 5_000_000
    const engine = new KinesisEngine({ now: () => now })
    engine.call('CreateStream', { StreamName: 's', ShardCount: 1 })
    for (let i = 0; i < 24; i++) engine.call('PutRecords', { StreamName: 's', Records: Array.from({ length: 500 }, (_, j) => ({ Data: 'eA==', PartitionKey: `${i}-${j}` })) })
    now += 2_000
    const { ShardIterator } = call(engine, 'GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })
    const first = call(engine, 'GetRecords', { ShardIterator })
    assert.equal(first.Records.length, 10_000)
    assert.equal(first.MillisBehindLatest, 2_000)
    const second = call(engine, 'GetRecords', { ShardIterator: first.NextShardIterator })
    assert.equal(second.Records.length, 2_000)
    assert.equal(second.MillisBehindLatest, 0)
  })

  it('reshards by UpdateShardCount: parents close at their last record, children split the hash space and name their parents; a reader of a parent finds its end and its children', () => {
    const engine = new KinesisEngine()
    engine.call('CreateStream', { StreamName: 's', ShardCount: 2 })
    const put = (keys: string[]) => call(engine, 'PutRecords', { StreamName: 's', Records: keys.map((key) => ({ Data: 'eA==', PartitionKey: key })) }).Records as Array<{ ShardId: string }>
    const keys = Array.from({ length: 200 }, (_, i) => `account-${i}`)
    const before = put(keys)
    assert.deepEqual(call(engine, 'UpdateShardCount', { StreamName: 's', TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }), { StreamName: 's', CurrentShardCount: 2, TargetShardCount: 4, StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s' })
    assert.equal(call(engine, 'DescribeStreamSummary', { StreamName: 's' }).StreamDescriptionSummary.OpenShardCount, 4)

    const shards = call(engine, 'ListShards', { StreamName: 's' }).Shards as Array<{ ShardId: string; ParentShardId?: string; HashKeyRange: { StartingHashKey: string; EndingHashKey: string }; SequenceNumberRange: { EndingSequenceNumber?: string } }>
    assert.deepEqual(shards.map((shard) => [shard.ShardId.slice(-1), shard.ParentShardId?.slice(-1) ?? null, shard.SequenceNumberRange.EndingSequenceNumber !== undefined]), [
      ['0', null, true],
      ['1', null, true],
      ['2', '0', false],
      ['3', '0', false],
      ['4', '1', false],
      ['5', '1', false],
    ])
    // The children cover the hash space without a gap, each inside its parent's range.
    const open = shards.slice(2)
    assert.equal(open[0].HashKeyRange.StartingHashKey, '0')
    assert.equal(open[3].HashKeyRange.EndingHashKey, String(2n ** 128n - 1n))
    for (let i = 1; i < 4; i++) assert.equal(BigInt(open[i].HashKeyRange.StartingHashKey), BigInt(open[i - 1].HashKeyRange.EndingHashKey) + 1n)

    // A key's records after the reshard go to the child that holds its hash key, under its parent.
    const after = put(keys)
    const parentOf = new Map(open.map((shard) => [shard.ShardId, shard.ParentShardId]))
    keys.forEach((_, i) => assert.equal(parentOf.get(after[i].ShardId), before[i].ShardId, keys[i]))

    // A parent read from its start gives its records, then no next iterator and its children.
    const { ShardIterator } = call(engine, 'GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })
    const end = call(engine, 'GetRecords', { ShardIterator })
    assert.equal(end.Records.length, before.filter((result) => result.ShardId === 'shardId-000000000000').length)
    assert.equal(end.NextShardIterator, undefined)
    assert.deepEqual(end.ChildShards.map((child: { ShardId: string; ParentShards: string[] }) => [child.ShardId, child.ParentShards]), [
      ['shardId-000000000002', ['shardId-000000000000']],
      ['shardId-000000000003', ['shardId-000000000000']],
    ])
    assert.equal(end.Records.at(-1).SequenceNumber, shards[0].SequenceNumberRange.EndingSequenceNumber)

    // Back to 2: each new shard merges two, named as ParentShardId and AdjacentParentShardId.
    call(engine, 'UpdateShardCount', { StreamName: 's', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' })
    const merged = (call(engine, 'ListShards', { StreamName: 's' }).Shards as Array<{ ShardId: string; ParentShardId?: string; AdjacentParentShardId?: string }>).slice(6)
    assert.deepEqual(merged.map((shard) => [shard.ParentShardId, shard.AdjacentParentShardId]), [
      ['shardId-000000000002', 'shardId-000000000003'],
      ['shardId-000000000004', 'shardId-000000000005'],
    ])
  })

  it('refuses a reshard beyond what Kinesis allows in one step, with its message', () => {
    const engine = new KinesisEngine()
    engine.call('CreateStream', { StreamName: 's', ShardCount: 4 })
    const refused = (target: number, pattern: RegExp) =>
      assert.throws(() => engine.call('UpdateShardCount', { StreamName: 's', TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }), (e: KinesisError) => e.type === 'InvalidArgumentException' && pattern.test(e.message))
    refused(9, /cannot scale up over double your current open shard count/)
    refused(1, /cannot scale down below half/)
    refused(4, /already has 4 open shards/)
    assert.throws(() => engine.call('UpdateShardCount', { StreamName: 's', TargetShardCount: 8 }), (e: KinesisError) => e.type === 'ValidationException')
  })
})
