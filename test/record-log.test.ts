import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RecordLog } from '../src/stack/kinesis/record-log.js'

describe('a shard’s record log (records as JSON in large buffers)', () => {
  const record = (i: number) => JSON.stringify({ SequenceNumber: String(i), Data: 'x'.repeat(100 + (i % 700)), PartitionKey: `ключ-${i}` })

  it('gives back any run of records as the comma-separated JSON they were appended as, across chunk boundaries and after the oldest are dropped', () => {
    const log = new RecordLog()
    const written: string[] = []
    for (let i = 0; i < 3_000; i++) {
      assert.equal(log.append(record(i), 1_000 + i), i + 1, 'counters start at 1')
      written.push(record(i))
    }
    // About 1.3 MB of JSON: several chunks, and runs that cross them.
    for (const [from, to] of [[1, 2], [1, 3_001], [250, 1_900], [2_999, 3_001], [5, 5]]) {
      assert.equal(log.json(from, to), written.slice(from - 1, to - 1).join(','), `records ${from} to ${to}`)
    }
    assert.equal(log.arrival(10), 1_009)
    assert.equal(log.bytes(10), Buffer.byteLength(written[9]), 'bytes, not characters')
    for (let i = 0; i < 2_000; i++) log.dropOldest()
    assert.equal(log.first, 2_001)
    assert.equal(log.heldBytes, written.slice(2_000).reduce((sum, json) => sum + Buffer.byteLength(json), 0))
    assert.equal(log.json(2_001, 3_001), written.slice(2_000).join(','))
    assert.ok(log.allocatedBytes <= log.heldBytes + 2 * 262_144, `the chunks of dropped records are freed: ${log.allocatedBytes} bytes for ${log.heldBytes} held`)
    log.append(record(3_000), 5_000)
    assert.equal(log.json(2_990, 3_002), [...written.slice(2_989), record(3_000)].join(','))
  })

  it('holds a record larger than a chunk in a chunk of its own, and empties completely', () => {
    const log = new RecordLog()
    const big = JSON.stringify({ Data: 'y'.repeat(600_000) })
    log.append('{"a":1}', 1)
    log.append(big, 2)
    log.append('{"b":2}', 3)
    assert.equal(log.json(1, 4), ['{"a":1}', big, '{"b":2}'].join(','))
    for (let i = 0; i < 3; i++) log.dropOldest()
    assert.deepEqual([log.first, log.next, log.heldBytes, log.json(4, 4)], [4, 4, 0, ''])
    log.dropOldest()
    assert.equal(log.first, 4, 'dropping from an empty log does nothing')
  })
})
