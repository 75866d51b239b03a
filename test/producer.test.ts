import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { PutRecordsCommand, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis'
import { BatchingProducer, type PutRecordsSender } from '../src/stream/batching-producer.js'

/** Stands in for Kinesis: refuses the records `refuse` picks, the way PutRecords reports partial failures. */
class PartialFailureSender implements PutRecordsSender {
  calls: number[] = []
  attemptsByKey = new Map<string, number>()
  constructor(private readonly refuse: (key: string, attempt: number) => string | undefined) {}
  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const records = command.input.Records ?? []
    this.calls.push(records.length)
    let failed = 0
    const results = records.map((record) => {
      const key = Buffer.from(record.Data!).toString()
      const attempt = (this.attemptsByKey.get(key) ?? 0) + 1
      this.attemptsByKey.set(key, attempt)
      const error = this.refuse(key, attempt)
      if (error) failed++
      return error ? { ErrorCode: error, ErrorMessage: 'refused by test' } : { SequenceNumber: `${attempt}`, ShardId: 'shardId-000000000000' }
    })
    return { FailedRecordCount: failed, Records: results, $metadata: { attempts: 1 } }
  }
}

/** Holds each call until the test releases it (in order). */
class HeldSender implements PutRecordsSender {
  calls: number[][] = []
  private held: Array<() => void> = []
  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const records = command.input.Records ?? []
    this.calls.push(records.map((record) => Number(Buffer.from(record.Data!).toString())))
    await new Promise<void>((resolve) => this.held.push(resolve))
    return { FailedRecordCount: 0, Records: records.map(() => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' })), $metadata: { attempts: 1 } }
  }
  release(): void {
    this.held.shift()?.()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function produce(count: number, sender: PutRecordsSender, options = {}) {
  const acked = new Set<number>()
  const failed = new Map<number, string>()
  const producer = new BatchingProducer<number>(
    sender,
    'stream',
    { onAcked: (tag) => acked.add(tag), onFailed: (tag, reason) => failed.set(tag, reason) },
    { lingerMs: 1, random: () => 0.01, ...options },
  )
  for (let i = 0; i < count; i++) producer.put(i, `pk${i % 7}`, Buffer.from(String(i)))
  return { producer, acked, failed }
}

describe('batching producer', () => {
  it('packs records into PutRecords calls of at most 500', async () => {
    const sender = new PartialFailureSender(() => undefined)
    const { producer, acked } = produce(1_234, sender)
    await producer.flush()
    assert.equal(acked.size, 1_234)
    assert.ok(sender.calls.every((n) => n <= 500))
    assert.deepEqual(sender.calls.slice(0, 2), [500, 500])
  })

  it('re-sends only the records a partial failure refused, and counts throttles and retries', async () => {
    // every third record is throttled twice before it goes through
    const sender = new PartialFailureSender((key, attempt) => (Number(key) % 3 === 0 && attempt <= 2 ? 'ProvisionedThroughputExceededException' : undefined))
    const { producer, acked, failed } = produce(300, sender)
    await producer.flush()
    assert.equal(acked.size, 300)
    assert.equal(failed.size, 0)
    assert.equal(producer.stats.throttled, 200)
    assert.equal(producer.stats.retried, 200)
    for (const [key, attempts] of sender.attemptsByKey) assert.equal(attempts, Number(key) % 3 === 0 ? 3 : 1, `record ${key}`)
  })

  it('gives up after its attempts and reports every record it gave up on', async () => {
    const sender = new PartialFailureSender((key) => (key === '5' ? 'InternalFailure' : undefined))
    const { producer, acked, failed } = produce(10, sender, { maxAttempts: 3 })
    await producer.flush()
    assert.equal(acked.size, 9)
    assert.deepEqual([...failed.keys()], [5])
    assert.match(failed.get(5)!, /gave up after 3 attempts \(InternalFailure/)
    assert.equal(producer.stats.recordsFailed, 1)
  })

  it('retries a throttled record past its attempts until its time to live, as the KPL does, then gives up on it', async () => {
    // Record 3 is refused 15 times (an overloaded shard draining its backlog), record 4 always.
    const sender = new PartialFailureSender((key, attempt) => (key === '4' || (key === '3' && attempt <= 15) ? 'ProvisionedThroughputExceededException' : undefined))
    const { producer, acked, failed } = produce(6, sender, { maxAttempts: 3, throttledRecordTtlMs: 300, random: () => 0 })
    await producer.flush()
    assert.equal(sender.attemptsByKey.get('3'), 16)
    assert.ok(acked.has(3), 'a throttled record is not given up on after maxAttempts')
    assert.deepEqual([...failed.keys()], [4])
    assert.match(failed.get(4)!, /gave up after \d+ attempts \(ProvisionedThroughputExceededException/)
    assert.ok(sender.attemptsByKey.get('4')! > 3)
  })

  it('treats a non-retryable error as fatal and fails the batch instead of retrying forever', async () => {
    const sender: PutRecordsSender = {
      send: async () => {
        throw Object.assign(new Error('Stream stream not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } })
      },
    }
    const { producer, failed } = produce(20, sender)
    await producer.flush()
    assert.equal(failed.size, 20)
    assert.equal(producer.fatalError?.name, 'ResourceNotFoundException')
  })

  it('keeps a partial batch for its linger when a call returns, instead of sending it with every return', async () => {
    const sender = new PartialFailureSender(() => undefined)
    const { producer, acked } = produce(503, sender, { lingerMs: 60 })
    // 500 went at once as a full batch; its return must not take the 3 left with it.
    await sleep(20)
    assert.deepEqual(sender.calls, [500])
    await sleep(80)
    assert.deepEqual(sender.calls, [500, 3])
    await producer.flush()
    assert.equal(acked.size, 503)
  })

  it('sends records whose linger ran out while every request slot was busy as soon as a slot frees', async () => {
    const sender = new HeldSender()
    const acked: number[] = []
    const producer = new BatchingProducer<number>(sender, 'stream', { onAcked: (tag) => acked.push(tag) }, { lingerMs: 5, maxInFlightRequests: 1 })
    producer.put(1, 'pk', Buffer.from('1'))
    await sleep(20)
    producer.put(2, 'pk', Buffer.from('2'))
    producer.put(3, 'pk', Buffer.from('3'))
    await sleep(20)
    assert.deepEqual(sender.calls, [[1]], 'the one slot is busy')
    sender.release()
    await sleep(1)
    assert.deepEqual(sender.calls, [[1], [2, 3]], 'overdue records go on the return, not after another linger')
    sender.release()
    await producer.flush()
    assert.deepEqual(acked, [1, 2, 3])
  })

  it('refuses a record over 1 MiB without sending it', async () => {
    const sender = new PartialFailureSender(() => undefined)
    const failed: string[] = []
    const producer = new BatchingProducer<number>(sender, 'stream', { onFailed: (_tag, reason) => failed.push(reason) })
    producer.put(1, 'pk', Buffer.alloc(1024 * 1024 + 1))
    await producer.flush()
    assert.equal(sender.calls.length, 0)
    assert.match(failed[0], /1 MiB/)
  })
})
