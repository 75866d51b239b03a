import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { CreateStreamCommand, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { errorName } from '../src/aws/backoff.js'
import { createAwsClients, type AwsClients } from '../src/stack/aws-clients.js'
import { startEmbeddedStack, type EmbeddedStack } from '../src/stack/embedded-stack.js'
import { CONTROL_TOKEN_HEADER } from '../src/stack/emulator-control.js'
import { CONTROL_PATH } from '../src/stack/fault-plan.js'
import type { EmulatorService } from '../src/stack/state-file.js'

const MiB = 2 ** 20

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024
}

/** POSTs `totalBytes` in 1 MiB chunks, without a length header (chunked), as a careless or hostile client would. */
function postChunked(endpoint: string, headers: Record<string, string>, totalBytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(endpoint)
    const outgoing = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers }, (incoming) => {
      let body = ''
      incoming.on('data', (chunk: Buffer) => (body += chunk))
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }))
    })
    outgoing.on('error', reject)
    const chunk = Buffer.alloc(MiB, 'a')
    let sent = 0
    const write = () => {
      while (sent < totalBytes) {
        sent += chunk.length
        if (!outgoing.write(chunk)) return void outgoing.once('drain', write)
      }
      outgoing.end()
    }
    write()
  })
}

describe('the embedded emulators are bounded, and their control path is theirs', () => {
  let stack: EmbeddedStack
  let clients: AwsClients
  before(async () => {
    stack = await startEmbeddedStack({ detached: false })
    clients = createAwsClients(stack.endpoints(), { maxAttempts: 1 })
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: 'wide', ShardCount: 8 }))
  })
  after(async () => {
    clients.destroy()
    await stack.stop()
  })
  const endpointOf = (service: EmulatorService) => stack.services.find((s) => s.service === service)!.endpoint
  const pidOf = (service: EmulatorService) => stack.services.find((s) => s.service === service)!.pid

  it('the control path answers only to the stack’s token, and refuses values that are not faults', async () => {
    const bad: Record<EmulatorService, string> = { kinesis: '{"throttle":"abc"}', dynamodb: '{"latencyMs":-5}', sns: '{"fail":2}' }
    for (const service of ['kinesis', 'dynamodb', 'sns'] as const) {
      const control = new URL(CONTROL_PATH, endpointOf(service))
      const withToken = { [CONTROL_TOKEN_HEADER]: stack.controlToken }
      assert.equal((await fetch(control, { method: 'PUT', body: '{"throttle":1,"fail":1}' })).status, 403, `${service}: no token`)
      assert.equal((await fetch(control, { headers: { [CONTROL_TOKEN_HEADER]: 'x'.repeat(stack.controlToken.length) } })).status, 403, `${service}: wrong token`)
      const invalid = await fetch(control, { method: 'PUT', headers: withToken, body: bad[service] })
      assert.equal(invalid.status, 400, service)
      assert.match(((await invalid.json()) as { message: string }).message, /^Faults not changed: (throttle|latencyMs|fail): /)
      const unknown = await fetch(control, { method: 'PUT', headers: withToken, body: '{"everything":true}' })
      assert.equal(unknown.status, 400, `${service}: unknown key`)
      const current = (await (await fetch(control, { headers: withToken })).json()) as { faults: Record<string, unknown> }
      assert.equal(current.faults[service === 'sns' ? 'fail' : 'throttle'], 0, `${service}: nothing changed`)
    }
    // The token never leaves the state file and the emulators' environment: not in their command lines.
    for (const service of stack.services) assert.doesNotMatch(readFileSync(`/proc/${service.pid}/cmdline`, 'utf8'), new RegExp(stack.controlToken))
  })

  it('a 64 MiB body is refused with AWS’s error without being held; the service goes on answering', async () => {
    const kinesisRssBefore = rssBytes(pidOf('kinesis'))
    const kinesis = await postChunked(endpointOf('kinesis'), { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecords' }, 64 * MiB)
    assert.equal(kinesis.status, 400)
    assert.deepEqual(JSON.parse(kinesis.body), { __type: 'InvalidArgumentException', message: 'Records size exceeds 5 MB limit' })
    const growth = rssBytes(pidOf('kinesis')) - kinesisRssBefore
    assert.ok(growth < 32 * MiB, `the Kinesis process grew by ${(growth / MiB).toFixed(0)} MiB`)

    const dynamodbRssBefore = rssBytes(pidOf('dynamodb'))
    const dynamodb = await postChunked(endpointOf('dynamodb'), { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.BatchWriteItem' }, 64 * MiB)
    assert.equal(dynamodb.status, 400)
    assert.match(JSON.parse(dynamodb.body).__type, /ValidationException$/)
    assert.ok(rssBytes(pidOf('dynamodb')) - dynamodbRssBefore < 32 * MiB)

    const sns = await postChunked(endpointOf('sns'), { 'content-type': 'application/x-www-form-urlencoded' }, 8 * MiB)
    assert.equal(sns.status, 413)
    assert.match(sns.body, /<Code>RequestTooLarge<\/Code>/)

    assert.ok((await clients.kinesis.send(new ListStreamsCommand({}))).StreamNames?.includes('wide'))
    assert.ok(Array.isArray((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames))
  })

  it('PutRecords over 5 MiB of data and keys is refused whole, as AWS refuses it; 5 MB is taken', async () => {
    const records = (count: number, bytes: number) => Array.from({ length: count }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.alloc(bytes, i) }))
    const over = await clients.kinesis.send(new PutRecordsCommand({ StreamName: 'wide', Records: records(5, 1_050_000) })).catch((error: unknown) => error)
    assert.equal(errorName(over), 'InvalidArgumentException')
    assert.equal((over as Error).message, 'Records size exceeds 5 MB limit')
    const within = await clients.kinesis.send(new PutRecordsCommand({ StreamName: 'wide', Records: records(5, 1_000_000) }))
    assert.equal(within.Records?.length, 5)
    assert.ok(within.Records?.every((r) => r.SequenceNumber || r.ErrorCode === 'ProvisionedThroughputExceededException'))
  })
})
