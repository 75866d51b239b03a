import { createHash } from 'node:crypto'
import type { _Record } from '@aws-sdk/client-kinesis'

/**
 * The Kinesis Producer Library's aggregated record format: many user records in one Kinesis
 * record, as the KPL writes and the KCL (and Lambda's event source) reads transparently.
 *   magic F3 89 9A C2 · protobuf AggregatedRecord · MD5 of the protobuf (16 bytes)
 *   AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2; repeated Record records = 3 }
 *   Record { uint64 partition_key_index = 1; uint64 explicit_hash_key_index = 2; bytes data = 3; repeated Tag tags = 4 }
 * https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md
 */
const MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2])
const DIGEST_BYTES = 16
const TABLE_KEY = (1 << 3) | 2
const RECORD = (3 << 3) | 2
const RECORD_KEY_INDEX = (1 << 3) | 0
const RECORD_DATA = (3 << 3) | 2

/** A Kinesis record as a reader hands it on: a user record of an aggregate carries its position in it. */
export type StreamRecord = _Record & { SubSequenceNumber?: number }

export interface UserRecord {
  partitionKey: string
  data: Uint8Array
}

export interface AggregatedRecord extends UserRecord {
  /** How many user records it holds. */
  userRecords: number
}

/** Kinesis takes records of at most 1 MiB, partition key included. */
export const MAX_AGGREGATE_BYTES = 1024 * 1024 - 256

function varintBytes(value: number): number {
  let bytes = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    bytes++
  }
  return bytes
}

function writeVarint(buffer: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value & 0x7f) | 0x80
    value = Math.floor(value / 128)
  }
  buffer[offset++] = value
  return offset
}

/** Bytes one user record adds to an aggregate whose key table already holds its key at `keyIndex`. */
function recordBytes(keyIndex: number, dataBytes: number): number {
  const body = 1 + varintBytes(keyIndex) + 1 + varintBytes(dataBytes) + dataBytes
  return 1 + varintBytes(body) + body
}

/**
 * Packs user records into aggregated Kinesis records of at most `maxBytes` each, in order. Each
 * aggregate's partition key is its first user record's (that key places it on a shard). A single
 * user record too large to share an aggregate goes alone.
 */
export function aggregate(records: readonly UserRecord[], maxBytes = MAX_AGGREGATE_BYTES): AggregatedRecord[] {
  const out: AggregatedRecord[] = []
  let start = 0
  while (start < records.length) {
    const keys = new Map<string, number>()
    let size = MAGIC.length + DIGEST_BYTES
    let end = start
    for (; end < records.length; end++) {
      const { partitionKey, data } = records[end]
      const known = keys.get(partitionKey)
      const keyIndex = known ?? keys.size
      const keyBytes = known === undefined ? Buffer.byteLength(partitionKey) : 0
      const added = recordBytes(keyIndex, data.length) + (known === undefined ? 1 + varintBytes(keyBytes) + keyBytes : 0)
      if (end > start && size + added > maxBytes) break
      if (known === undefined) keys.set(partitionKey, keyIndex)
      size += added
    }
    out.push({ partitionKey: records[start].partitionKey, data: encode(records, start, end, keys, size), userRecords: end - start })
    start = end
  }
  return out
}

function encode(records: readonly UserRecord[], start: number, end: number, keys: Map<string, number>, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size)
  MAGIC.copy(buffer, 0)
  let offset = MAGIC.length
  for (const key of keys.keys()) {
    buffer[offset++] = TABLE_KEY
    offset = writeVarint(buffer, offset, Buffer.byteLength(key))
    offset += buffer.write(key, offset)
  }
  for (let i = start; i < end; i++) {
    const { partitionKey, data } = records[i]
    const keyIndex = keys.get(partitionKey)!
    buffer[offset++] = RECORD
    offset = writeVarint(buffer, offset, 1 + varintBytes(keyIndex) + 1 + varintBytes(data.length) + data.length)
    buffer[offset++] = RECORD_KEY_INDEX
    offset = writeVarint(buffer, offset, keyIndex)
    buffer[offset++] = RECORD_DATA
    offset = writeVarint(buffer, offset, data.length)
    buffer.set(data, offset)
    offset += data.length
  }
  createHash('md5').update(buffer.subarray(MAGIC.length, offset)).digest().copy(buffer, offset)
  return buffer
}

export function isAggregated(data: Uint8Array | undefined): boolean {
  return data !== undefined && data.length > MAGIC.length + DIGEST_BYTES && data[0] === MAGIC[0] && data[1] === MAGIC[1] && data[2] === MAGIC[2] && data[3] === MAGIC[3]
}

/**
 * The user records in a Kinesis record: the record itself when it is not an aggregate (or its
 * checksum does not match, as the KCL treats it), else one record per user record with the
 * enclosing record's sequence number and arrival time and its own partition key and data.
 * Unlike the KCL, no user record is dropped for a hash key outside the shard after a reshard.
 */
export function deaggregate(record: StreamRecord, into: StreamRecord[]): void {
  const data = record.Data
  if (!isAggregated(data)) {
    into.push(record)
    return
  }
  const bytes = Buffer.from(data!.buffer, data!.byteOffset, data!.byteLength)
  const messageEnd = bytes.length - DIGEST_BYTES
  const digest = createHash('md5').update(bytes.subarray(MAGIC.length, messageEnd)).digest()
  const decoded = digest.equals(bytes.subarray(messageEnd)) ? decodeMessage(bytes, MAGIC.length, messageEnd) : undefined
  if (!decoded) {
    into.push(record)
    return
  }
  for (let i = 0; i < decoded.records.length; i++) {
    const user = decoded.records[i]
    into.push({
      SequenceNumber: record.SequenceNumber,
      SubSequenceNumber: i,
      ApproximateArrivalTimestamp: record.ApproximateArrivalTimestamp,
      PartitionKey: decoded.keys[user.keyIndex] ?? record.PartitionKey,
      Data: user.data,
    })
  }
}

/** Every user record of a page of Kinesis records, in order. */
export function deaggregateAll(records: readonly StreamRecord[]): StreamRecord[] {
  const out: StreamRecord[] = []
  for (const record of records) deaggregate(record, out)
  return out
}

interface Decoded {
  keys: string[]
  records: Array<{ keyIndex: number; data: Uint8Array }>
}

/** Reads the protobuf by hand (three fields are all it needs); undefined when it is malformed. */
function decodeMessage(bytes: Buffer, start: number, end: number): Decoded | undefined {
  const decoded: Decoded = { keys: [], records: [] }
  const reader = { offset: start }
  while (reader.offset < end) {
    const tag = readVarint(bytes, reader, end)
    if (tag === undefined) return undefined
    const wireType = tag & 7
    const field = tag >>> 3
    if (wireType !== 2) {
      if (wireType !== 0 || readVarint(bytes, reader, end) === undefined) return undefined
      continue
    }
    const length = readVarint(bytes, reader, end)
    if (length === undefined || reader.offset + length > end) return undefined
    const fieldStart = reader.offset
    reader.offset += length
    if (field === 1) decoded.keys.push(bytes.toString('utf8', fieldStart, fieldStart + length))
    else if (field === 3) {
      const record = decodeRecord(bytes, fieldStart, fieldStart + length)
      if (!record) return undefined
      decoded.records.push(record)
    }
  }
  return decoded
}

function decodeRecord(bytes: Buffer, start: number, end: number): { keyIndex: number; data: Uint8Array } | undefined {
  const reader = { offset: start }
  let keyIndex = 0
  let data: Uint8Array | undefined
  while (reader.offset < end) {
    const tag = readVarint(bytes, reader, end)
    if (tag === undefined) return undefined
    const wireType = tag & 7
    if (wireType === 0) {
      const value = readVarint(bytes, reader, end)
      if (value === undefined) return undefined
      if (tag >>> 3 === 1) keyIndex = value
    } else if (wireType === 2) {
      const length = readVarint(bytes, reader, end)
      if (length === undefined || reader.offset + length > end) return undefined
      if (tag >>> 3 === 3) data = bytes.subarray(reader.offset, reader.offset + length)
      reader.offset += length
    } else return undefined
  }
  return data ? { keyIndex, data } : undefined
}

function readVarint(bytes: Buffer, reader: { offset: number }, end: number): number | undefined {
  let value = 0
  let scale = 1
  while (reader.offset < end) {
    const byte = bytes[reader.offset++]
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return value
    scale *= 128
    if (scale > 2 ** 49) return undefined
  }
  return undefined
}
