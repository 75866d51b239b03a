import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { aggregate, deaggregate, isAggregated, type StreamRecord, type UserRecord } from '../src/stream/record-aggregation.js'

// The reference implementation published by AWS (aws-kinesis-agg), as an independent reader and writer of the format.
const reference = createRequire(import.meta.url)('aws-kinesis-agg') as {
  deaggregateSync(record: object, computeChecksums: boolean, done: (error: Error | undefined, records?: Array<{ PartitionKey: string; SubSequenceNumber: number; Data: string }>) => void): void
  aggregate(records: object[], onEncoded: (encoded: { partitionKey: string; data: Buffer }, done: () => void) => void, afterAll: () => void, onError: (error: Error) => void): void
}

const userRecords: UserRecord[] = Array.from({ length: 300 }, (_, i) => ({
  partitionKey: i % 7 === 0 ? 'account-shared' : `tx-${i}-é✓`,
  data: Buffer.from(JSON.stringify({ transactionId: `tx-${i}`, score: i / 300, reasons: ['x'.repeat(i % 50)] })),
}))

function asKinesisRecord(record: { partitionKey: string; data: Uint8Array }, sequence = '4960'): StreamRecord {
  return { SequenceNumber: sequence, PartitionKey: record.partitionKey, Data: record.data, ApproximateArrivalTimestamp: new Date(1_700_000_000_000) }
}

function readBack(records: StreamRecord[]): StreamRecord[] {
  const out: StreamRecord[] = []
  for (const record of records) deaggregate(record, out)
  return out
}

describe('KPL record aggregation', () => {
  it('packs user records into one Kinesis record and reads them back in order, keys, data and positions intact', () => {
    const [packed, ...rest] = aggregate(userRecords)
    assert.equal(rest.length, 0)
    assert.equal(packed.userRecords, 300)
    assert.ok(isAggregated(packed.data))
    const back = readBack([asKinesisRecord(packed)])
    assert.deepEqual(back.map((r) => r.PartitionKey), userRecords.map((r) => r.partitionKey))
    assert.deepEqual(back.map((r) => Buffer.from(r.Data!).toString()), userRecords.map((r) => Buffer.from(r.data).toString()))
    assert.deepEqual(back.map((r) => r.SubSequenceNumber), userRecords.map((_, i) => i))
    assert.ok(back.every((r) => r.SequenceNumber === '4960' && r.ApproximateArrivalTimestamp?.getTime() === 1_700_000_000_000))
  })

  it('writes what AWS’s own de-aggregator reads, checksum verified', () => {
    const [packed] = aggregate(userRecords)
    let read: Array<{ PartitionKey: string; SubSequenceNumber: number; Data: string }> = []
    reference.deaggregateSync({ PartitionKey: packed.partitionKey, SequenceNumber: '1', Data: Buffer.from(packed.data).toString('base64') }, true, (error, records) => {
      assert.equal(error, undefined)
      read = records ?? []
    })
    assert.deepEqual(read.map((r) => r.PartitionKey), userRecords.map((r) => r.partitionKey))
    assert.deepEqual(read.map((r) => Buffer.from(r.Data, 'base64').toString()), userRecords.map((r) => Buffer.from(r.data).toString()))
  })

  it('reads what AWS’s own aggregator writes', async () => {
    const encoded: Array<{ partitionKey: string; data: Buffer }> = []
    await new Promise<void>((resolve, reject) =>
      reference.aggregate(
        userRecords.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data) })),
        (record, done) => {
          encoded.push(record)
          done()
        },
        resolve,
        reject,
      ),
    )
    assert.ok(encoded.length >= 1 && encoded.every((record) => isAggregated(record.data)))
    const back = readBack(encoded.map((record, i) => asKinesisRecord(record, String(i))))
    assert.deepEqual(back.map((r) => Buffer.from(r.Data!).toString()), userRecords.map((r) => Buffer.from(r.data).toString()))
    assert.deepEqual(back.map((r) => r.PartitionKey), userRecords.map((r) => r.partitionKey))
  })

  it('splits at the size limit without losing or reordering a record, and a record too big to share goes alone', () => {
    const big = { partitionKey: 'big', data: Buffer.alloc(5_000, 1) }
    const input = [...userRecords.slice(0, 100), big, ...userRecords.slice(100)]
    const packed = aggregate(input, 4_096)
    assert.ok(packed.length > 5)
    for (const record of packed) if (record.userRecords > 1) assert.ok(record.data.length <= 4_096, `an aggregate of ${record.data.length} bytes`)
    assert.equal(packed.find((record) => record.partitionKey === 'big')?.userRecords, 1)
    assert.equal(packed.reduce((sum, record) => sum + record.userRecords, 0), input.length)
    const back = readBack(packed.map((record) => asKinesisRecord(record)))
    assert.deepEqual(back.map((r) => Buffer.from(r.Data!).toString('hex')), input.map((r) => Buffer.from(r.data).toString('hex')))
  })

  it('passes a plain record through, and one whose checksum does not match as it is (as the KCL does)', () => {
    const plain = asKinesisRecord({ partitionKey: 'p', data: Buffer.from('{"plain":true}') })
    assert.deepEqual(readBack([plain]), [plain])
    const [packed] = aggregate(userRecords.slice(0, 3))
    const corrupted = Buffer.from(packed.data)
    corrupted[10] ^= 0xff
    const record = asKinesisRecord({ partitionKey: 'p', data: corrupted })
    assert.deepEqual(readBack([record]), [record])
  })
})
