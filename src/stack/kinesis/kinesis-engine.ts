import { RecordLog } from './record-log.js'
import { ShardMap } from '../../stream/shard-map.js'

const ACCOUNT = '000000000000'
const HASH_SPACE = 2n ** 128n
/** A shard iterator is valid this long after it was issued (AWS: 5 minutes). */
export const ITERATOR_TTL_MS = 300_000
const MAX_RECORDS_PER_GET = 10_000
const MAX_BYTES_PER_GET = 10 * 1024 * 1024
const MAX_RECORDS_PER_PUT = 500
const MAX_RECORD_BYTES = 1024 * 1024
const RETENTION_HOURS = 24
/** Sequence numbers: "49", the shard's index, the stream's creation time, then the record's place in its shard (56 digits, as AWS'). */
const COUNTER_DIGITS = 32

/** A Kinesis error as the JSON protocol carries it: `__type` and `message`, with HTTP 400. */
export class KinesisError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message)
  }
}

interface Shard {
  id: string
  index: number
  startingHashKey: bigint
  endingHashKey: bigint
  /** Each record's answer in GetRecords, already as JSON, numbered by a counter. */
  log: RecordLog
  /** The shards it was split or merged from (a reshard): their records come before its own, key by key. */
  parentShardIds: string[]
  /** Set when a reshard closed it: its last record's sequence number. It takes no record after. */
  endingSequenceNumber?: string
  /** Filled when it closes: the shards that took over its hash keys. */
  childShards: Shard[]
}

interface Stream {
  name: string
  arn: string
  createdAtMs: number
  /** Every shard, open or closed, by index (a shard's index is its place here). */
  shards: Shard[]
  /** The open shards, in hash-key order: where records go. */
  open: Shard[]
  /** Where a record goes: the open shards' hash-key ranges, in the order of `open`. */
  placement: ShardMap
  tags: Map<string, string>
  /** Enhanced fan-out consumers, by name. */
  consumers: Map<string, Consumer>
}

interface Consumer {
  name: string
  arn: string
  createdAtMs: number
  tags: Map<string, string>
}

/** Where an enhanced fan-out subscription reads next in its shard. */
export interface SubscriptionCursor {
  consumerArn: string
  stream: string
  shardIndex: number
  position: number
}

/** AWS allows 20 registered consumers per stream. */
const MAX_CONSUMERS_PER_STREAM = 20

export interface KinesisEngineOptions {
  region?: string
  /** Record payload kept in memory across all shards; the oldest records of a full shard are trimmed first. */
  maxHeldBytes?: number
  now?: () => number
}

/**
 * An in-memory Kinesis for the embedded stack: streams of shards placed by the MD5 of the
 * partition key, sequence numbers increasing per shard, self-describing shard iterators that expire
 * after 5 minutes, MillisBehindLatest, and retention trimmed by age (24 h) and by a memory budget.
 * Each record is stored as the JSON its GetRecords answer holds, so a read only joins strings.
 * Control-plane calls answer as kinesalite does (checked call by call in test/kinesis-engine.test.ts).
 */
export class KinesisEngine {
  private readonly streams = new Map<string, Stream>()
  private readonly region: string
  private readonly maxHeldBytes: number
  private readonly now: () => number
  private totalShards = 0

  constructor(options: KinesisEngineOptions = {}) {
    this.region = options.region ?? 'us-east-1'
    this.maxHeldBytes = options.maxHeldBytes ?? 128 * 1024 * 1024
    this.now = options.now ?? Date.now
  }

  /** One call of the Kinesis JSON protocol: the answer's JSON text, or a KinesisError. */
  call(action: string, input: Record<string, unknown>): string {
    switch (action) {
      case 'CreateStream':
        return this.createStream(input)
      case 'DeleteStream':
        this.deleteStream(input)
        return ''
      case 'DescribeStreamSummary':
        return JSON.stringify({ StreamDescriptionSummary: this.summary(this.stream(input)) })
      case 'DescribeStream':
        return this.describeStream(input)
      case 'ListStreams':
        return this.listStreams(input)
      case 'ListShards':
        return JSON.stringify({ Shards: this.streamForShards(input).shards.map(describeShard) })
      case 'UpdateShardCount':
        return this.updateShardCount(input)
      case 'PutRecord':
        return this.putRecord(input)
      case 'PutRecords':
        return this.putRecords(input)
      case 'GetShardIterator':
        return this.getShardIterator(input)
      case 'GetRecords':
        return this.getRecords(input)
      case 'AddTagsToStream':
        return this.addTags(input)
      case 'RemoveTagsFromStream':
        return this.removeTags(input)
      case 'RegisterStreamConsumer':
        return this.registerConsumer(input)
      case 'DescribeStreamConsumer': {
        const { stream, consumer } = this.consumer(input)
        return JSON.stringify({ ConsumerDescription: { ...describeConsumer(consumer), StreamARN: stream.arn } })
      }
      case 'ListStreamConsumers':
        return JSON.stringify({ Consumers: [...this.stream(input).consumers.values()].map(describeConsumer) })
      case 'DeregisterStreamConsumer': {
        const { stream, consumer } = this.consumer(input)
        stream.consumers.delete(consumer.name)
        return ''
      }
      case 'ListTagsForStream':
        return JSON.stringify({ Tags: [...this.stream(input).tags].map(([Key, Value]) => ({ Key, Value })), HasMoreTags: false })
      case 'ListTagsForResource':
        return JSON.stringify({ Tags: [...this.resourceTags(requireString(input, 'ResourceARN'))].map(([Key, Value]) => ({ Key, Value })) })
      default:
        throw new KinesisError('UnknownOperationException', `The embedded Kinesis does not implement ${action}.`)
    }
  }

  private createStream(input: Record<string, unknown>): string {
    const name = requireString(input, 'StreamName')
    if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(name)) throw validation(`Value '${name}' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`)
    const onDemand = (input.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode === 'ON_DEMAND'
    const count = onDemand ? 4 : Number(input.ShardCount)
    if (!Number.isInteger(count) || count < 1) throw validation(`Value '${input.ShardCount}' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1`)
    if (this.streams.has(name)) throw new KinesisError('ResourceInUseException', `Stream ${name} under account ${ACCOUNT} already exists.`)
    const createdAtMs = this.now()
    const shards = uniformShards(count, 0, () => [])
    this.streams.set(name, { name, arn: `arn:aws:kinesis:${this.region}:${ACCOUNT}:stream/${name}`, createdAtMs, shards, open: shards, placement: placementOf(shards), tags: new Map(), consumers: new Map() })
    this.totalShards += count
    return ''
  }

  /**
   * UNIFORM_SCALING, as AWS does it in effect: every open shard closes, and new shards split the
   * hash space evenly, each naming the closed shards whose keys it takes over as its parents. AWS
   * allows from half to double the open count per call; here the change is ACTIVE at once.
   */
  private updateShardCount(input: Record<string, unknown>): string {
    const stream = this.stream(input)
    const target = Number(input.TargetShardCount)
    const current = stream.open.length
    if (input.ScalingType !== 'UNIFORM_SCALING') throw validation(`1 validation error detected: Value '${input.ScalingType}' at 'scalingType' failed to satisfy constraint: Member must satisfy enum value set: [UNIFORM_SCALING]`)
    if (!Number.isInteger(target) || target < 1) throw validation(`1 validation error detected: Value '${input.TargetShardCount}' at 'targetShardCount' failed to satisfy constraint: Member must have value greater than or equal to 1`)
    if (target > current * 2) throw new KinesisError('InvalidArgumentException', `UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: ${current} Target shard count: ${target}`)
    if (target < Math.ceil(current / 2)) throw new KinesisError('InvalidArgumentException', `UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: ${current} Target shard count: ${target}`)
    if (target === current) throw new KinesisError('InvalidArgumentException', `Stream ${stream.name} under account ${ACCOUNT} already has ${current} open shards.`)
    const parents = stream.open
    const children = uniformShards(target, stream.shards.length, (start, end) => parents.filter((parent) => parent.startingHashKey <= end && parent.endingHashKey >= start).map((parent) => parent.id))
    // AWS names at most two parents per shard (ParentShardId, AdjacentParentShardId), reaching other counts in several steps.
    const many = children.find((child) => child.parentShardIds.length > 2)
    if (many) {
      throw new KinesisError('InvalidArgumentException', `The embedded Kinesis reshards ${current} open shards only to counts where each new shard takes over from at most two (${target} would give ${many.id} ${many.parentShardIds.length} parents); reshard in two steps.`)
    }
    for (const parent of parents) {
      parent.endingSequenceNumber = sequenceOf(stream, parent, parent.log.next - 1)
      parent.childShards = children.filter((child) => child.parentShardIds.includes(parent.id))
    }
    stream.shards = [...stream.shards, ...children]
    stream.open = children
    stream.placement = placementOf(children)
    this.totalShards += target
    return JSON.stringify({ StreamName: stream.name, CurrentShardCount: current, TargetShardCount: target, StreamARN: stream.arn })
  }

  private deleteStream(input: Record<string, unknown>): void {
    const stream = this.stream(input)
    this.streams.delete(stream.name)
    this.totalShards -= stream.shards.length
  }

  private summary(stream: Stream) {
    return {
      RetentionPeriodHours: RETENTION_HOURS,
      EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
      EncryptionType: 'NONE',
      StreamARN: stream.arn,
      StreamName: stream.name,
      StreamStatus: 'ACTIVE',
      StreamCreationTimestamp: Math.floor(stream.createdAtMs / 1000),
      OpenShardCount: stream.open.length,
      ConsumerCount: stream.consumers.size,
    }
  }

  private describeStream(input: Record<string, unknown>): string {
    const stream = this.stream(input)
    const { OpenShardCount: _open, ConsumerCount: _consumers, ...summary } = this.summary(stream)
    return JSON.stringify({ StreamDescription: { ...summary, Shards: stream.shards.map(describeShard), HasMoreShards: false } })
  }

  private listStreams(input: Record<string, unknown>): string {
    const names = [...this.streams.keys()].sort()
    const after = typeof input.ExclusiveStartStreamName === 'string' ? input.ExclusiveStartStreamName : undefined
    const from = after === undefined ? names : names.filter((name) => name > after)
    const limit = typeof input.Limit === 'number' ? input.Limit : 100
    return JSON.stringify({ StreamNames: from.slice(0, limit), HasMoreStreams: from.length > limit })
  }

  private putRecord(input: Record<string, unknown>): string {
    const stream = this.stream(input)
    const [shard, sequenceNumber] = this.append(stream, checkRecord(input), this.now())
    return `{"ShardId":"${shard.id}","SequenceNumber":"${sequenceNumber}"}`
  }

  private putRecords(input: Record<string, unknown>): string {
    const stream = this.stream(input)
    const records = input.Records
    if (!Array.isArray(records) || records.length === 0) throw validation("1 validation error detected: Value null at 'records' failed to satisfy constraint: Member must not be null")
    if (records.length > MAX_RECORDS_PER_PUT) {
      throw validation(`1 validation error detected: Value '[...]' at 'records' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORDS_PER_PUT}`)
    }
    const now = this.now()
    // Validated whole before anything is stored: a bad entry fails the call, as on AWS.
    const checked = records.map((record) => checkRecord(record as Record<string, unknown>))
    const parts: string[] = new Array(records.length)
    for (let i = 0; i < checked.length; i++) {
      const [shard, sequenceNumber] = this.append(stream, checked[i], now)
      parts[i] = `{"ShardId":"${shard.id}","SequenceNumber":"${sequenceNumber}"}`
    }
    return `{"FailedRecordCount":0,"Records":[${parts.join(',')}]}`
  }

  private append(stream: Stream, { data, partitionKey, explicitHashKey }: CheckedRecord, now: number): [Shard, string] {
    // The map's ranges are in hash-key order, as `open` is.
    const shard = stream.open[stream.placement.indexOf(partitionKey, explicitHashKey)]
    const sequenceNumber = sequenceOf(stream, shard, shard.log.next)
    shard.log.append(`{"SequenceNumber":"${sequenceNumber}","ApproximateArrivalTimestamp":${now / 1000},"Data":"${data}","PartitionKey":${JSON.stringify(partitionKey)}}`, now)
    this.trim(shard, now)
    return [shard, sequenceNumber]
  }

  /** Drops records past retention, and the oldest while the shard holds more than its share of the memory budget. */
  private trim(shard: Shard, now: number): void {
    const budget = this.maxHeldBytes / Math.max(1, this.totalShards)
    const oldest = now - RETENTION_HOURS * 3_600_000
    const { log } = shard
    while (log.first < log.next && (log.heldBytes > budget || log.arrival(log.first) < oldest)) log.dropOldest()
  }

  private getShardIterator(input: Record<string, unknown>): string {
    const stream = this.stream(input)
    const shardId = requireString(input, 'ShardId')
    const shard = stream.shards.find((s) => s.id === shardId)
    if (!shard) throw new KinesisError('ResourceNotFoundException', `Shard ${shardId} in stream ${stream.name} under account ${ACCOUNT} does not exist`)
    const type = input.ShardIteratorType
    let position: number
    switch (type) {
      case 'TRIM_HORIZON':
        position = shard.log.first
        break
      case 'LATEST':
        position = shard.log.next
        break
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        const counter = this.counterOf(stream, shard, requireString(input, 'StartingSequenceNumber'))
        position = Math.max(shard.log.first, counter + (type === 'AFTER_SEQUENCE_NUMBER' ? 1 : 0))
        break
      }
      case 'AT_TIMESTAMP': {
        const atMs = Number(input.Timestamp) * 1000
        position = shard.log.first
        while (position < shard.log.next && shard.log.arrival(position) < atMs) position++
        break
      }
      default:
        throw validation(`1 validation error detected: Value '${type}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, AT_TIMESTAMP, TRIM_HORIZON, LATEST]`)
    }
    return `{"ShardIterator":"${iteratorOf(stream.name, shard.index, position, this.now())}"}`
  }

  private getRecords(input: Record<string, unknown>): string {
    const iterator = parseIterator(requireString(input, 'ShardIterator'))
    const now = this.now()
    if (now - iterator.issuedAtMs > ITERATOR_TTL_MS) {
      throw new KinesisError(
        'ExpiredIteratorException',
        `Iterator expired. The iterator was created at time ${new Date(iterator.issuedAtMs).toUTCString()} while right now it is ${new Date(now).toUTCString()} which is further in the future than the tolerated delay of ${ITERATOR_TTL_MS} milliseconds.`,
      )
    }
    const stream = this.streams.get(iterator.stream)
    const shard = stream?.shards[iterator.shardIndex]
    if (!stream || !shard) throw new KinesisError('ResourceNotFoundException', `Shard shardId-${String(iterator.shardIndex).padStart(12, '0')} in stream ${iterator.stream} under account ${ACCOUNT} does not exist`)
    const limit = typeof input.Limit === 'number' ? Math.min(MAX_RECORDS_PER_GET, Math.max(1, input.Limit)) : MAX_RECORDS_PER_GET
    // Records trimmed away since the iterator was issued are skipped, as AWS skips expired data.
    const { log } = shard
    const start = Math.max(iterator.position, log.first)
    let position = start
    let bytes = 0
    const end = Math.min(log.next, start + limit)
    while (position < end && (bytes === 0 || bytes + log.bytes(position) <= MAX_BYTES_PER_GET)) bytes += log.bytes(position++)
    const records = log.json(start, position)
    const behind = position < log.next ? Math.max(0, now - log.arrival(position)) : 0
    // A closed shard read to its end has no next iterator: its children are read from here on.
    const childShards = childShardsAtEnd(shard, position)
    if (childShards !== undefined) return `{"Records":[${records}],"MillisBehindLatest":0,"ChildShards":${childShards}}`
    // The iterator last: the front finds it by searching back from the end, past no records.
    return `{"Records":[${records}],"MillisBehindLatest":${behind},"NextShardIterator":"${iteratorOf(stream.name, shard.index, position, now)}"}`
  }

  private registerConsumer(input: Record<string, unknown>): string {
    const stream = this.stream(input)
    const name = requireString(input, 'ConsumerName')
    if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(name)) throw validation(`Value '${name}' at 'consumerName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`)
    if (stream.consumers.has(name)) throw new KinesisError('ResourceInUseException', `Consumer ${name} under stream ${stream.name} already exists for account ${ACCOUNT}.`)
    if (stream.consumers.size >= MAX_CONSUMERS_PER_STREAM) {
      throw new KinesisError('LimitExceededException', `Stream ${stream.name} under account ${ACCOUNT} has reached the limit of ${MAX_CONSUMERS_PER_STREAM} registered consumers.`)
    }
    const createdAtMs = this.now()
    const consumer = { name, arn: `${stream.arn}/consumer/${name}:${Math.floor(createdAtMs / 1000)}`, createdAtMs, tags: putTags(new Map(), input.Tags) }
    stream.consumers.set(name, consumer)
    return JSON.stringify({ Consumer: describeConsumer(consumer) })
  }

  /** The tags of a stream or a consumer, by its ARN (ListTagsForResource). */
  private resourceTags(arn: string): Map<string, string> {
    for (const stream of this.streams.values()) if (stream.arn === arn) return stream.tags
    const found = this.consumerByArn(arn)
    if (found) return found.consumer.tags
    throw new KinesisError('ResourceNotFoundException', `Resource ${arn} not found.`)
  }

  /** A consumer by ConsumerARN, or by StreamARN and ConsumerName. */
  private consumer(input: Record<string, unknown>): { stream: Stream; consumer: Consumer } {
    if (typeof input.ConsumerARN === 'string') {
      const found = this.consumerByArn(input.ConsumerARN)
      if (!found) throw new KinesisError('ResourceNotFoundException', `Consumer ${input.ConsumerARN} under account ${ACCOUNT} not found.`)
      return found
    }
    const stream = this.stream(input)
    const name = requireString(input, 'ConsumerName')
    const consumer = stream.consumers.get(name)
    if (!consumer) throw new KinesisError('ResourceNotFoundException', `Consumer ${name} under stream ${stream.name} under account ${ACCOUNT} not found.`)
    return { stream, consumer }
  }

  private consumerByArn(arn: string): { stream: Stream; consumer: Consumer } | undefined {
    const match = /:stream\/([^/]+)\/consumer\/([^:]+):/.exec(arn)
    const stream = match ? this.streams.get(match[1]) : undefined
    const consumer = stream?.consumers.get(match![2])
    return stream && consumer && consumer.arn === arn ? { stream, consumer } : undefined
  }

  /** Whether a consumer is still registered (a subscription ends when it is not). */
  hasConsumer(consumerArn: string): boolean {
    return this.consumerByArn(consumerArn) !== undefined
  }

  /** SubscribeToShard's start: the consumer and shard checked, the starting position resolved as for an iterator. */
  openSubscription(input: Record<string, unknown>): SubscriptionCursor {
    const consumerArn = requireString(input, 'ConsumerARN')
    const { stream } = this.consumer({ ConsumerARN: consumerArn })
    const start = (input.StartingPosition ?? {}) as { Type?: string; SequenceNumber?: string; Timestamp?: number }
    const { ShardIterator: iterator } = JSON.parse(
      this.getShardIterator({ StreamName: stream.name, ShardId: input.ShardId, ShardIteratorType: start.Type, StartingSequenceNumber: start.SequenceNumber, Timestamp: start.Timestamp }),
    ) as { ShardIterator: string }
    const { shardIndex, position } = parseIterator(iterator)
    return { consumerArn, stream: stream.name, shardIndex, position }
  }

  /**
   * The next records of a subscription that arrived before `visibleUntilMs` (the push latency holds
   * back newer ones), up to `maxBytes`; moves the cursor past them. The continuation is the
   * sequence number a new subscription resumes after. A closed shard read to its end has none:
   * `childShards` (their JSON) then says where reading goes on.
   */
  readSubscription(cursor: SubscriptionCursor, visibleUntilMs: number, maxBytes: number): { records: string; count: number; bytes: number; continuation: string; millisBehind: number; childShards?: string } {
    const stream = this.streams.get(cursor.stream)
    const shard = stream?.shards[cursor.shardIndex]
    if (!stream || !shard) throw new KinesisError('ResourceNotFoundException', `Stream ${cursor.stream} under account ${ACCOUNT} not found.`)
    const { log } = shard
    const start = Math.max(cursor.position, log.first)
    let position = start
    let bytes = 0
    const end = Math.min(log.next, start + MAX_RECORDS_PER_GET)
    while (position < end && log.arrival(position) <= visibleUntilMs && bytes + log.bytes(position) <= maxBytes) bytes += log.bytes(position++)
    cursor.position = position
    const millisBehind = position < log.next ? Math.max(0, this.now() - log.arrival(position)) : 0
    const childShards = childShardsAtEnd(shard, position)
    return { records: log.json(start, position), count: position - start, bytes, continuation: sequenceOf(stream, shard, position - 1), millisBehind, childShards }
  }

  private addTags(input: Record<string, unknown>): string {
    putTags(this.stream(input).tags, input.Tags)
    return ''
  }

  private removeTags(input: Record<string, unknown>): string {
    const stream = this.stream(input)
    for (const key of (input.TagKeys as string[] | undefined) ?? []) stream.tags.delete(key)
    return ''
  }

  private stream(input: Record<string, unknown>): Stream {
    const name = typeof input.StreamName === 'string' ? input.StreamName : typeof input.StreamARN === 'string' ? input.StreamARN.slice(input.StreamARN.lastIndexOf('/') + 1) : undefined
    if (name === undefined) throw validation("1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null")
    const stream = this.streams.get(name)
    if (!stream) throw new KinesisError('ResourceNotFoundException', `Stream ${name} under account ${ACCOUNT} not found.`)
    return stream
  }

  private streamForShards(input: Record<string, unknown>): Stream {
    // A NextToken names the stream too; every shard fits in one answer here.
    if (typeof input.NextToken === 'string') return this.stream({ StreamName: Buffer.from(input.NextToken, 'base64').toString('utf8') })
    return this.stream(input)
  }

  private counterOf(stream: Stream, shard: Shard, sequenceNumber: string): number {
    if (!/^\d{56}$/.test(sequenceNumber) || !sequenceNumber.startsWith(sequencePrefix(stream, shard))) {
      throw new KinesisError('InvalidArgumentException', `StartingSequenceNumber ${sequenceNumber} used in GetShardIterator on shard ${shard.id} in stream ${stream.name} under account ${ACCOUNT} is invalid because it did not come from this stream.`)
    }
    return Number(sequenceNumber.slice(-COUNTER_DIGITS))
  }
}

/** Sets the tags of a call's `Tags` map (AddTagsToStream, RegisterStreamConsumer) on `tags`. */
function putTags(tags: Map<string, string>, given: unknown): Map<string, string> {
  for (const [key, value] of Object.entries((given as Record<string, string> | undefined) ?? {})) tags.set(key, String(value))
  return tags
}

function describeConsumer(consumer: Consumer) {
  return { ConsumerName: consumer.name, ConsumerARN: consumer.arn, ConsumerStatus: 'ACTIVE', ConsumerCreationTimestamp: consumer.createdAtMs / 1000 }
}

function sequencePrefix(stream: Stream, shard: Shard): string {
  return `49${String(shard.index).padStart(6, '0')}${String(stream.createdAtMs).padStart(16, '0')}`
}

function sequenceOf(stream: Stream, shard: Shard, counter: number): string {
  return sequencePrefix(stream, shard) + String(counter).padStart(COUNTER_DIGITS, '0')
}

function describeShard(shard: Shard) {
  const [parent, adjacentParent] = shard.parentShardIds
  return {
    ...(parent ? { ParentShardId: parent } : {}),
    ...(adjacentParent ? { AdjacentParentShardId: adjacentParent } : {}),
    HashKeyRange: hashKeyRangeOf(shard),
    SequenceNumberRange: {
      StartingSequenceNumber: `49${String(shard.index).padStart(6, '0')}${'0'.repeat(16 + COUNTER_DIGITS)}`,
      ...(shard.endingSequenceNumber ? { EndingSequenceNumber: shard.endingSequenceNumber } : {}),
    },
    ShardId: shard.id,
  }
}

/** At the end of a closed shard, its children as GetRecords and SubscribeToShard name them (JSON); else undefined. */
function childShardsAtEnd(shard: Shard, position: number): string | undefined {
  return shard.endingSequenceNumber !== undefined && position === shard.log.next ? JSON.stringify(shard.childShards.map(describeChild)) : undefined
}

/** A child shard as GetRecords and SubscribeToShard name it at the end of its parent. */
function describeChild(shard: Shard) {
  return { ShardId: shard.id, ParentShards: shard.parentShardIds, HashKeyRange: hashKeyRangeOf(shard) }
}

function hashKeyRangeOf(shard: Shard) {
  return { StartingHashKey: String(shard.startingHashKey), EndingHashKey: String(shard.endingHashKey) }
}

/** `count` shards splitting the hash space evenly, numbered from `firstIndex`. */
function uniformShards(count: number, firstIndex: number, parentsOf: (start: bigint, end: bigint) => string[]): Shard[] {
  return Array.from({ length: count }, (_, i): Shard => {
    const index = firstIndex + i
    const startingHashKey = (HASH_SPACE * BigInt(i)) / BigInt(count)
    const endingHashKey = (HASH_SPACE * BigInt(i + 1)) / BigInt(count) - 1n
    return { id: `shardId-${String(index).padStart(12, '0')}`, index, startingHashKey, endingHashKey, log: new RecordLog(), parentShardIds: parentsOf(startingHashKey, endingHashKey), childShards: [] }
  })
}

function placementOf(shards: Shard[]): ShardMap {
  return new ShardMap(shards.map((shard) => ({ shardId: shard.id, startingHashKey: shard.startingHashKey, endingHashKey: shard.endingHashKey })))
}

/** Opaque to clients (base64, like AWS'), but self-describing here: stream, shard, position and when it was issued. */
function iteratorOf(stream: string, shardIndex: number, position: number, issuedAtMs: number): string {
  return `AAAAAAAAAAE${Buffer.from(`${shardIndex}:${position}:${issuedAtMs}:${stream}`, 'utf8').toString('base64')}`
}

function parseIterator(iterator: string): { stream: string; shardIndex: number; position: number; issuedAtMs: number } {
  const text = iterator.startsWith('AAAAAAAAAAE') ? Buffer.from(iterator.slice(11), 'base64').toString('utf8') : ''
  const match = /^(\d+):(\d+):(\d+):([a-zA-Z0-9_.-]+)$/.exec(text)
  if (!match) throw new KinesisError('InvalidArgumentException', 'Invalid ShardIterator.')
  return { shardIndex: Number(match[1]), position: Number(match[2]), issuedAtMs: Number(match[3]), stream: match[4] }
}

interface CheckedRecord {
  data: string
  partitionKey: string
  explicitHashKey?: string
}

function checkRecord(record: Record<string, unknown>): CheckedRecord {
  const data = record?.Data
  const partitionKey = record?.PartitionKey
  if (typeof data !== 'string') throw validation("1 validation error detected: Value null at 'data' failed to satisfy constraint: Member must not be null")
  if (typeof partitionKey !== 'string' || partitionKey.length < 1 || partitionKey.length > 256) {
    throw validation("1 validation error detected: Value at 'partitionKey' failed to satisfy constraint: Member must have length between 1 and 256")
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw new KinesisError('SerializationException', 'Data is not valid base64.')
  if ((data.length * 3) / 4 > MAX_RECORD_BYTES + 2) throw validation(`1 validation error detected: Value at 'data' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`)
  const explicitHashKey = typeof record.ExplicitHashKey === 'string' ? record.ExplicitHashKey : undefined
  return { data, partitionKey, explicitHashKey }
}

function validation(message: string): KinesisError {
  return new KinesisError('ValidationException', message)
}

function requireString(input: Record<string, unknown>, field: string): string {
  const value = input[field]
  if (typeof value !== 'string') throw validation(`1 validation error detected: Value null at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`)
  return value
}
