import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import type { CheckpointStore } from '../src/stream/checkpoint-store.js'
import { ShardReader, type ShardBatch } from '../src/stream/shard-reader.js'

/** One shard holding records 1…9, served three to a GetRecords page; every call is logged. */
function fakeKinesis(log: string[]): Pick<KinesisClient, 'send'> {
  const records = Array.from({ length: 9 }, (_, i) => ({ SequenceNumber: String(i + 1), Data: new Uint8Array(), PartitionKey: 'k' }))
  return {
    send: (async (command: unknown) => {
      if (command instanceof ListShardsCommand) return { Shards: [{ ShardId: 'shard-0', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' } }] }
      if (command instanceof GetShardIteratorCommand) return { ShardIterator: command.input.StartingSequenceNumber ?? '0' }
      if (command instanceof GetRecordsCommand) {
        const from = Number(command.input.ShardIterator)
        log.push(`get ${from}`)
        return { Records: records.slice(from, from + 3), NextShardIterator: String(Math.min(9, from + 3)), MillisBehindLatest: 0, $metadata: {} }
      }
      throw new Error(`unexpected ${String(command)}`)
    }) as KinesisClient['send'],
  }
}

class MemoryCheckpoints implements CheckpointStore {
  readonly written: string[] = []
  async read(): Promise<string | undefined> {
    return undefined
  }
  async write(_shardId: string, sequenceNumber: string): Promise<void> {
    this.written.push(sequenceNumber)
  }
}

/** A reader of the fake shard, three records a page, up to three pages in the handler at once. */
function pipelinedReader(log: string[], checkpoints: CheckpointStore, handler: (batch: ShardBatch) => Promise<void>): ShardReader {
  return new ShardReader({ kinesis: fakeKinesis(log), stream: 's', startAt: 'TRIM_HORIZON', checkpoints, checkpointIntervalMs: 0, pollIntervalMs: 1, recordsPerCall: 3, pagesInFlight: 3, handler })
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2))
}

describe('the shard reader, pipelined', () => {
  it('fetches the next pages while a slow page is handled, in page order, and checkpoints only past finished pages without a gap', async () => {
    const log: string[] = []
    const checkpoints = new MemoryCheckpoints()
    let releaseFirst!: () => void
    const handled: string[] = []
    const reader = pipelinedReader(log, checkpoints, async (batch) => {
      const last = batch.records[batch.records.length - 1].SequenceNumber!
      log.push(`handle ${last}`)
      if (last === '3') await new Promise<void>((resolve) => (releaseFirst = resolve))
      handled.push(last)
    })
    await reader.open()
    const stop = new AbortController()
    const running = reader.run(stop.signal)
    await until(() => handled.length === 2)
    assert.deepEqual(log.filter((l) => l.startsWith('handle')), ['handle 3', 'handle 6', 'handle 9'], 'pages are handed in order')
    assert.ok(log.indexOf('get 3') < log.indexOf('handle 6') && handled[0] === '6', 'the second page was fetched and handled while the first was not done')
    assert.deepEqual(checkpoints.written, [], 'no checkpoint passes the unfinished first page')
    releaseFirst()
    await until(() => checkpoints.written.includes('9'))
    stop.abort()
    await running
    assert.deepEqual(checkpoints.written, ['9'])
  })

  it('stops at a failed page: the error surfaces and the checkpoint never passes the page before it', async () => {
    const checkpoints = new MemoryCheckpoints()
    const reader = pipelinedReader([], checkpoints, async (batch) => {
      if (batch.records[0].SequenceNumber === '4') throw new Error('the BlockList is gone')
    })
    await reader.open()
    await assert.rejects(reader.run(new AbortController().signal), /the BlockList is gone/)
    assert.ok(checkpoints.written.every((sequence) => Number(sequence) <= 3), `checkpoints ${checkpoints.written}`)
  })
})

describe('the shard reader, paced', () => {
  it('polls each shard on its own beat, spread over the poll interval, and never faster than the interval on average', async () => {
    const calls: Array<{ shard: string; at: number }> = []
    const shards = ['s0', 's1', 's2', 's3']
    const kinesis = {
      send: (async (command: unknown) => {
        if (command instanceof ListShardsCommand) return { Shards: shards.map((ShardId) => ({ ShardId, HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' } })) }
        if (command instanceof GetShardIteratorCommand) return { ShardIterator: command.input.ShardId }
        if (command instanceof GetRecordsCommand) {
          calls.push({ shard: command.input.ShardIterator!, at: performance.now() })
          return { Records: [], NextShardIterator: command.input.ShardIterator, MillisBehindLatest: 0, $metadata: {} }
        }
        throw new Error(`unexpected ${String(command)}`)
      }) as KinesisClient['send'],
    }
    const reader = new ShardReader({ kinesis, stream: 's', startAt: 'LATEST', pollIntervalMs: 80, recordsPerCall: 10, handler: () => {} })
    await reader.open()
    const stop = new AbortController()
    const startedAt = performance.now()
    const running = reader.run(stop.signal)
    await until(() => calls.length >= 4 * 6)
    stop.abort()
    await running
    // Timers fire at most about a millisecond early (they count whole milliseconds), so each shard's
    // first call comes no sooner than its place in the beat, less that.
    const first = shards.map((shard) => calls.find((call) => call.shard === shard)!.at - startedAt)
    assert.deepEqual(shards.map((shard) => calls.findIndex((call) => call.shard === shard)), [0, 1, 2, 3], 'first calls in shard order')
    first.forEach((at, i) => assert.ok(at >= i * 20 - 5, `shard ${i} first polled at ${at.toFixed(1)} ms, before its offset ${i * 20} ms`))
    for (const shard of shards) {
      const times = calls.filter((call) => call.shard === shard).map((call) => call.at)
      const span = times[times.length - 1] - times[0]
      assert.ok(span >= (times.length - 1) * 80 - 25, `${shard}: ${times.length} calls in ${span.toFixed(0)} ms`)
    }
  })
})
