import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { EMULATOR_CREDENTIALS } from '../src/aws/endpoints.js'
import { AwsFront } from '../src/stack/front/aws-front.js'
import { KinesisEngineBackend } from '../src/stack/kinesis/kinesis-backend.js'
import { AggregatingWriter } from '../src/stream/aggregating-writer.js'
import { deaggregate, type StreamRecord } from '../src/stream/record-aggregation.js'
import { ShardMap } from '../src/stream/shard-map.js'

const hashOf = (key: string) => BigInt(`0x${createHash('md5').update(key).digest('hex')}`)

describe('the aggregating writer (KPL aggregation, on fraudlab’s Kinesis)', () => {
  let front: AwsFront
  let kinesis: KinesisClient
  before(async () => {
    front = new AwsFront('kinesis', new KinesisEngineBackend(), { limits: false, throttle: 0, latencyMs: 0, seed: 1 })
    const port = await front.listen(0)
    kinesis = new KinesisClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: EMULATOR_CREDENTIALS, requestHandler: new NodeHttpHandler(), maxAttempts: 1 })
  })
  after(async () => {
    kinesis.destroy()
    await front.close()
  })

  it('places every key on the shard its hash belongs to, as Kinesis would for a plain record', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'map', ShardCount: 7 }))
    await waitActive(kinesis, 'map')
    const map = await ShardMap.of(kinesis, 'map')
    assert.equal(map.ranges.length, 7)
    for (let i = 0; i < 5_000; i++) {
      const key = `account-${i}`
      const range = map.ranges[map.indexOf(key)]
      const hash = hashOf(key)
      assert.ok(range.startingHashKey <= hash && hash <= range.endingHashKey, `${key} placed on ${range.shardId}`)
    }
  })

  it('places a key whose hash sits right at a shard boundary by the full 128 bits', () => {
    const hash = hashOf('account-42')
    const max = (1n << 128n) - 1n
    const splitAt = (start: bigint) => new ShardMap([
      { shardId: 'low', startingHashKey: 0n, endingHashKey: start - 1n },
      { shardId: 'high', startingHashKey: start, endingHashKey: max },
    ])
    assert.equal(splitAt(hash).indexOf('account-42'), 1, 'the first key of a shard belongs to it')
    assert.equal(splitAt(hash + 1n).indexOf('account-42'), 0, 'the key just below a shard belongs to the one before')
  })

  it('writes every transaction once, packed per shard, each one readable on the shard its key belongs to, in order per key', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'agg', ShardCount: 4 }))
    await waitActive(kinesis, 'agg')
    const map = await ShardMap.of(kinesis, 'agg')
    const acked: number[] = []
    const writer = new AggregatingWriter<number>(kinesis, 'agg', map, { onAcked: (tag) => acked.push(tag) }, { maxAggregateBytes: 8_192, lingerMs: 5 })
    const count = 3_000
    for (let i = 0; i < count; i++) writer.put(i, `account-${i % 97}`, Buffer.from(JSON.stringify({ id: i, account: `account-${i % 97}`, pad: 'x'.repeat(i % 200) })))
    assert.ok(writer.backlog > 0)
    await writer.flush()
    assert.equal(writer.backlog, 0)
    assert.deepEqual([...acked].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i))
    assert.ok(writer.aggregation.kinesisRecords < count / 10, `${writer.aggregation.kinesisRecords} Kinesis records for ${count}`)
    assert.equal(writer.stats.recordsAcked, writer.aggregation.kinesisRecords)

    const seen: number[] = []
    for (const range of map.ranges) {
      const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'agg', ShardId: range.shardId, ShardIteratorType: 'TRIM_HORIZON' }))
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }))
      const users: StreamRecord[] = []
      for (const record of page.Records ?? []) deaggregate(record, users)
      const lastOfKey = new Map<string, number>()
      for (const user of users) {
        const { id, account } = JSON.parse(Buffer.from(user.Data!).toString()) as { id: number; account: string }
        assert.equal(user.PartitionKey, account)
        const hash = hashOf(account)
        assert.ok(range.startingHashKey <= hash && hash <= range.endingHashKey, `${account} read from ${range.shardId}, outside its range`)
        assert.ok((lastOfKey.get(account) ?? -1) < id, `${account}: ${id} after ${lastOfKey.get(account)}`)
        lastOfKey.set(account, id)
        seen.push(id)
      }
    }
    assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i))
  })
})

async function waitActive(kinesis: KinesisClient, stream: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`${stream} never became ACTIVE`)
}
