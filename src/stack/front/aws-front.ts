import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Random } from '../../util/random.js'
import { FrontFaultsInput, isControlAuthorized, parseControlInput, readBoundedBody } from '../emulator-control.js'
import { CONTROL_PATH, type FrontCounts } from '../fault-plan.js'
import { listenOnLoopback } from '../loopback.js'
import { ShardLimiter } from './shard-limiter.js'
import { ShardMap } from '../../stream/shard-map.js'

/** The faults a front applies; set at start and through its control endpoint. */
export interface FrontFaults {
  /** Kinesis: per-shard write and read limits (on by default). */
  limits: boolean
  /** Probability of an injected throttle (Kinesis: per record put and per GetRecords call; DynamoDB: per data call). */
  throttle: number
  /** Added to every response, in milliseconds. */
  latencyMs: number
  seed: number
  /** The embedded Kinesis' enhanced fan-out settings (applied by whoever serves SubscribeToShard). */
  fanOut?: { subscriptionLifetimeMs?: number; pushLatencyMs?: number }
}

const DYNAMODB_DATA_CALLS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'BatchWriteItem', 'BatchGetItem', 'Query', 'Scan', 'TransactWriteItems', 'TransactGetItems'])
const PTEE = 'ProvisionedThroughputExceededException'
const ACCOUNT = '000000000000'
/** AWS' limit on a PutRecords request: 5 MiB of data and partition keys. */
const PUT_RECORDS_MAX_BYTES = 5 * 2 ** 20
/**
 * The largest body a front reads. Kinesis: 5 MiB of data in base64 (4/3 of it) plus the JSON around
 * 500 records; DynamoDB: AWS' 16 MB request limit. A larger body is refused without being held.
 */
const MAX_BODY_BYTES = { kinesis: Math.ceil((PUT_RECORDS_MAX_BYTES * 4) / 3) + 256 * 2 ** 10, dynamodb: 16 * 2 ** 20 } as const
/** Shard iterators remembered (iterator → shard) at most; a reader holds one per shard. */
const MAX_ITERATORS = 10_000

/** An answer from the service behind the front. */
export interface BackendReply {
  status: number
  headers: IncomingMessage['headers']
  body: Buffer
}

/**
 * What the front forwards to: an emulator over HTTP (dynalite), or an engine in this process (the
 * embedded Kinesis), which takes the request already parsed when the front had to parse it.
 */
export interface FrontBackend {
  forward(request: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, body: Buffer | undefined, parsed?: unknown): Promise<BackendReply>
  close(): Promise<void>
}

/** An emulator listening on a loopback port. */
export class HttpBackend implements FrontBackend {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 })

  constructor(private readonly port: number) {}

  forward(request: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, body: Buffer | undefined, parsed?: unknown): Promise<BackendReply> {
    const payload = body ?? Buffer.from(JSON.stringify(parsed))
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: '127.0.0.1', port: this.port, method: request.method, path: request.url, headers: { ...request.headers, 'content-length': String(payload.length) }, agent: this.agent },
        (incoming) => void readBody(incoming).then((data) => resolve({ status: incoming.statusCode ?? 500, headers: incoming.headers, body: data }), reject),
      )
      outgoing.once('error', reject)
      outgoing.end(payload)
    })
  }

  async close(): Promise<void> {
    this.agent.destroy()
  }
}

interface PutRecordsEntry {
  Data: string
  PartitionKey: string
  ExplicitHashKey?: string
}
type PutRecordsResult = { SequenceNumber: string; ShardId: string } | { ErrorCode: string; ErrorMessage: string }

/**
 * An HTTP front for an emulator that makes it behave like the AWS service under pressure: Kinesis'
 * per-shard limits (refused records come back inside PutRecords' answer with
 * ProvisionedThroughputExceededException, as AWS returns them; refused reads are a 400), plus
 * injected throttling and latency. Everything else is passed through untouched, so clients talk
 * to the emulator's own protocol implementation. `GET/PUT /__fraudlab/faults` reads the counts
 * and changes the faults (a run sets its `--inject` faults there).
 */
export class AwsFront {
  readonly counts: FrontCounts = { limitThrottled: 0, injected: 0, delayed: 0 }
  private faults: FrontFaults
  private random: Random
  private limiter = new ShardLimiter()
  private readonly server: Server
  private readonly shardMaps = new Map<string, Promise<ShardMap | undefined>>()
  private readonly iteratorShards = new Map<string, string>()

  constructor(
    private readonly service: 'kinesis' | 'dynamodb',
    private readonly backend: FrontBackend,
    faults: FrontFaults,
    /** Required on the control path; without one, the control path is closed. */
    private readonly controlToken?: string,
    /** Told of every change of faults (the fan-out server takes its settings from them). */
    private readonly onFaults?: (faults: FrontFaults) => void,
  ) {
    this.faults = faults
    this.random = new Random(faults.seed)
    this.server = createServer((request, response) => void this.handle(request, response).catch((error: Error) => this.fail(response, error)))
    this.server.keepAliveTimeout = 65_000
  }

  listen(port = 0): Promise<number> {
    return listenOnLoopback(this.server, port)
  }

  async close(): Promise<void> {
    await this.backend.close()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.url === CONTROL_PATH) return this.control(request, response)
    const target = String(request.headers['x-amz-target'] ?? '')
    const action = target.slice(target.indexOf('.') + 1)
    const body = await readBoundedBody(request, MAX_BODY_BYTES[this.service])
    if (!body) return this.refuseTooLarge(action, response)
    const json = String(request.headers['content-type'] ?? '').includes('json')
    if (this.service === 'dynamodb') {
      if (DYNAMODB_DATA_CALLS.has(action) && this.injectThrottle()) {
        return this.send(response, 400, { __type: `com.amazonaws.dynamodb.v20120810#${PTEE}`, message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.' })
      }
      return this.passThrough(request, body, response)
    }
    // With no limit and no injected throttle, writes go straight through: no parse, no hashing.
    const writesChecked = this.faults.limits || this.faults.throttle > 0
    if (json && writesChecked && action === 'PutRecords') return this.putRecords(request, body, response)
    if (json && writesChecked && action === 'PutRecord') return this.putRecord(request, body, response)
    if (json && action === 'GetShardIterator') return this.getShardIterator(request, body, response)
    if (json && action === 'GetRecords') return this.getRecords(request, body, response)
    if (json && action === 'UpdateShardCount') return this.updateShardCount(request, body, response)
    return this.passThrough(request, body, response)
  }

  /** A reshard moves records to other shards: the stream's map is asked again after it. */
  private async updateShardCount(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { StreamName?: string; StreamARN?: string }
    const backend = await this.backend.forward(request, body, input)
    const stream = streamNameOf(input)
    if (stream) this.shardMaps.delete(stream)
    return this.reply(response, backend)
  }

  private async putRecords(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { Records?: PutRecordsEntry[]; StreamName?: string; StreamARN?: string }
    const stream = streamNameOf(input)
    if (!Array.isArray(input.Records) || !stream) return this.passThrough(request, body, response, input)
    if (recordsBytes(input.Records) > PUT_RECORDS_MAX_BYTES) return this.refuseTooLarge('PutRecords', response)
    const shards = await this.shardMapOf(request, stream)
    const results: Array<PutRecordsResult | undefined> = new Array(input.Records.length)
    const admitted: PutRecordsEntry[] = []
    const admittedAt: number[] = []
    input.Records.forEach((record, i) => {
      const refusal = this.refuseWrite(stream, shards, record)
      if (refusal) results[i] = { ErrorCode: PTEE, ErrorMessage: refusal }
      else {
        admitted.push(record)
        admittedAt.push(i)
      }
    })
    if (admitted.length === input.Records.length) return this.passThrough(request, body, response, input)
    let failed = input.Records.length - admitted.length
    let extra: Record<string, unknown> = {}
    if (admitted.length > 0) {
      const backend = await this.backend.forward(request, undefined, { ...input, Records: admitted })
      if (backend.status !== 200) return this.reply(response, backend)
      const output = JSON.parse(backend.body.toString('utf8')) as { Records: PutRecordsResult[]; FailedRecordCount: number }
      output.Records.forEach((result, j) => (results[admittedAt[j]] = result))
      failed += output.FailedRecordCount
      const { Records: _records, FailedRecordCount: _failed, ...rest } = output
      extra = rest
    }
    return this.send(response, 200, { FailedRecordCount: failed, Records: results, ...extra })
  }

  private async putRecord(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as PutRecordsEntry & { StreamName?: string; StreamARN?: string }
    const stream = streamNameOf(input)
    if (!stream || typeof input.PartitionKey !== 'string') return this.passThrough(request, body, response)
    const refusal = this.refuseWrite(stream, await this.shardMapOf(request, stream), input)
    if (refusal) return this.send(response, 400, { __type: PTEE, message: refusal })
    return this.passThrough(request, body, response, input)
  }

  private async getShardIterator(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { StreamName?: string; StreamARN?: string; ShardId?: string }
    const backend = await this.backend.forward(request, body, input)
    const stream = streamNameOf(input)
    if (backend.status === 200 && stream && input.ShardId) {
      const { ShardIterator } = JSON.parse(backend.body.toString('utf8')) as { ShardIterator?: string }
      if (ShardIterator) this.rememberIterator(ShardIterator, `${stream}/${input.ShardId}`)
    }
    return this.reply(response, backend)
  }

  private async getRecords(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { ShardIterator?: string }
    const iterator = input.ShardIterator
    const shard = iterator ? this.iteratorShards.get(iterator) : undefined
    if (this.injectThrottle()) return this.send(response, 400, { __type: PTEE, message: `Rate exceeded for ${shard ?? 'the shard'} (injected).` })
    if (shard && this.faults.limits && !this.limiter.admitRead(shard)) {
      this.counts.limitThrottled++
      return this.send(response, 400, { __type: PTEE, message: `Rate exceeded for shard ${shard.slice(shard.indexOf('/') + 1)} in stream ${shard.slice(0, shard.indexOf('/'))} under account ${ACCOUNT}.` })
    }
    const backend = await this.backend.forward(request, body, input)
    if (backend.status === 200 && shard) {
      this.limiter.chargeRead(shard, backend.body.length)
      this.iteratorShards.delete(iterator!)
      const next = nextShardIterator(backend.body)
      if (next) this.rememberIterator(next, shard)
    }
    return this.reply(response, backend)
  }

  /** Why a record is refused (the message AWS gives), or undefined when it is admitted. */
  private refuseWrite(stream: string, shards: ShardMap | undefined, record: PutRecordsEntry): string | undefined {
    const shardId = shards?.shardOf(String(record.PartitionKey), record.ExplicitHashKey).shardId
    if (this.injectThrottle()) return `Rate exceeded for shard ${shardId ?? 'unknown'} in stream ${stream} under account ${ACCOUNT} (injected).`
    if (!this.faults.limits || !shardId) return undefined
    const bytes = base64Length(String(record.Data ?? '')) + Buffer.byteLength(String(record.PartitionKey))
    if (this.limiter.admitWrite(`${stream}/${shardId}`, bytes)) return undefined
    this.counts.limitThrottled++
    return `Rate exceeded for shard ${shardId} in stream ${stream} under account ${ACCOUNT}.`
  }

  private injectThrottle(): boolean {
    if (this.faults.throttle <= 0 || this.random.next() >= this.faults.throttle) return false
    this.counts.injected++
    return true
  }

  private rememberIterator(iterator: string, shard: string): void {
    if (this.iteratorShards.size >= MAX_ITERATORS) this.iteratorShards.delete(this.iteratorShards.keys().next().value!)
    this.iteratorShards.set(iterator, shard)
  }

  /** The stream's open shards by hash key range, asked of the emulator once per stream; undefined if it has none. */
  private shardMapOf(request: IncomingMessage, stream: string): Promise<ShardMap | undefined> {
    let shards = this.shardMaps.get(stream)
    if (!shards) {
      shards = this.listShards(request, stream)
      this.shardMaps.set(stream, shards)
      shards.catch(() => this.shardMaps.delete(stream))
    }
    return shards
  }

  private async listShards(request: IncomingMessage, stream: string): Promise<ShardMap | undefined> {
    const headers = { ...request.headers, 'x-amz-target': 'Kinesis_20131202.ListShards' }
    const backend = await this.backend.forward({ method: 'POST', url: '/', headers }, undefined, { StreamName: stream })
    if (backend.status !== 200) return undefined
    const { Shards } = JSON.parse(backend.body.toString('utf8')) as { Shards: Array<{ ShardId: string; HashKeyRange: { StartingHashKey: string; EndingHashKey: string }; SequenceNumberRange: { EndingSequenceNumber?: string } }> }
    const open = Shards.filter((s) => !s.SequenceNumberRange.EndingSequenceNumber)
    if (open.length === 0) return undefined
    return new ShardMap(open.map((s) => ({ shardId: s.ShardId, startingHashKey: BigInt(s.HashKeyRange.StartingHashKey), endingHashKey: BigInt(s.HashKeyRange.EndingHashKey) })))
  }

  /** AWS' answers to a request over its size limit (Kinesis: InvalidArgumentException; DynamoDB: ValidationException). */
  private refuseTooLarge(action: string, response: ServerResponse): Promise<void> {
    if (this.service === 'dynamodb') return this.send(response, 400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'The total request size exceeds 16 MB.' }, false)
    if (action === 'PutRecords' || action === 'PutRecord') return this.send(response, 400, { __type: 'InvalidArgumentException', message: 'Records size exceeds 5 MB limit' }, false)
    return this.send(response, 413, { __type: 'SerializationException', message: `The request body exceeds ${MAX_BODY_BYTES.kinesis} bytes.` }, false)
  }

  private async control(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!isControlAuthorized(request.headers, this.controlToken)) {
      request.resume()
      return void this.send(response, 403, { message: 'The control path needs the token of the stack that started this emulator.' }, false)
    }
    if (request.method === 'PUT') {
      const body = await readBoundedBody(request, 4_096)
      const input = body ? parseControlInput(FrontFaultsInput, body.toString('utf8')) : { ok: false as const, message: 'the body exceeds 4 KiB' }
      if (!input.ok) return void this.send(response, 400, { message: `Faults not changed: ${input.message}.` }, false)
      this.faults = { ...this.faults, ...input.value }
      this.onFaults?.(this.faults)
      this.random = new Random(this.faults.seed)
      this.limiter = new ShardLimiter()
      Object.assign(this.counts, { limitThrottled: 0, injected: 0, delayed: 0 })
    }
    this.send(response, 200, { service: this.service, faults: this.faults, counts: this.counts }, false)
  }

  private passThrough(request: IncomingMessage, body: Buffer, response: ServerResponse, parsed?: unknown): Promise<void> {
    return this.backend.forward(request, body, parsed).then((backend) => this.reply(response, backend))
  }

  private reply(response: ServerResponse, backend: BackendReply): Promise<void> {
    const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...headers } = backend.headers
    return this.delayed(() => response.writeHead(backend.status, { ...headers, 'content-length': String(backend.body.length) }).end(backend.body))
  }

  private send(response: ServerResponse, status: number, payload: unknown, delay = true): Promise<void> {
    const body = Buffer.from(JSON.stringify(payload))
    const write = () => void response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(body.length), 'x-amzn-requestid': 'fraudlab-front' }).end(body)
    if (!delay) return Promise.resolve(write())
    return this.delayed(write)
  }

  private delayed(write: () => void): Promise<void> {
    if (this.faults.latencyMs <= 0) return Promise.resolve(write())
    this.counts.delayed++
    return new Promise((resolve) => setTimeout(() => resolve(write()), this.faults.latencyMs))
  }

  private fail(response: ServerResponse, error: Error): void {
    if (response.headersSent) return void response.destroy(error)
    const status = error instanceof SyntaxError ? 400 : 500
    void this.send(response, status, { __type: status === 400 ? 'SerializationException' : 'InternalFailure', message: error.message }, false)
  }
}

function streamNameOf(input: { StreamName?: string; StreamARN?: string }): string | undefined {
  if (typeof input.StreamName === 'string') return input.StreamName
  if (typeof input.StreamARN === 'string') return input.StreamARN.slice(input.StreamARN.lastIndexOf('/') + 1)
  return undefined
}

const NEXT_ITERATOR_FIELD = Buffer.from('"NextShardIterator":"')

/**
 * NextShardIterator from a GetRecords answer, found in the bytes: the answer can hold megabytes of
 * records, and parsing all of it for one field would cost the emulator's process on every read.
 * An iterator is base64, so it holds no quote or escape.
 */
function nextShardIterator(body: Buffer): string | undefined {
  const at = body.lastIndexOf(NEXT_ITERATOR_FIELD)
  if (at < 0) return undefined
  const start = at + NEXT_ITERATOR_FIELD.length
  const end = body.indexOf(0x22, start)
  return end > start ? body.toString('latin1', start, end) : undefined
}

function base64Length(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0
  return Math.floor((data.length * 3) / 4) - padding
}

/** Bytes of data and partition keys, as AWS counts them against a PutRecords request's limit. */
function recordsBytes(records: PutRecordsEntry[]): number {
  let bytes = 0
  for (const record of records) bytes += base64Length(String(record?.Data ?? '')) + String(record?.PartitionKey ?? '').length
  return bytes
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
    stream.once('error', reject)
  })
}
