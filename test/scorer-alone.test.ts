import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, it } from 'node:test'
import { GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { createAwsClients, type AwsClients } from '../src/stack/aws-clients.js'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import { DecisionSchema, type Decision } from '../src/schema/decision.js'
import { startEmbeddedStack } from '../src/stack/embedded-stack.js'
import { deaggregate, type StreamRecord } from '../src/stream/record-aggregation.js'
import { CLI, embeddedStackFixture, REPO_ROOT, runCli, tempDir } from './helpers.js'

/** Runs `fraudlab scorer` until it has decided `expected` transactions in total, then Ctrl-C. */
async function runScorerUntil(env: Record<string, string>, clients: AwsClients, stream: string, expected: number, seen: Decision[]) {
  const child = spawn(process.execPath, [CLI, 'scorer', '--json', '--checkpoint-interval', '100ms'], { cwd: REPO_ROOT, env: { ...process.env, ...env } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const deadline = Date.now() + 30_000
  while (seen.length < expected && Date.now() < deadline) {
    seen.splice(0, seen.length, ...(await readDecisions(clients, stream)))
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await new Promise((resolve) => setTimeout(resolve, 500)) // let a checkpoint land
  child.kill('SIGINT')
  const code = await exited
  return { code, stdout, stderr }
}

async function readDecisions(clients: AwsClients, stream: string): Promise<Decision[]> {
  const decisions: Decision[] = []
  const { Shards = [] } = await clients.kinesis.send(new ListShardsCommand({ StreamName: stream }))
  for (const shard of Shards) {
    let iterator = (await clients.kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator
    while (iterator) {
      const page = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }))
      const userRecords: StreamRecord[] = []
      for (const record of page.Records ?? []) deaggregate(record, userRecords)
      for (const record of userRecords) decisions.push(DecisionSchema.parse(JSON.parse(Buffer.from(record.Data!).toString())))
      if (!page.Records?.length) break
      iterator = page.NextShardIterator
    }
  }
  return decisions
}

describe('fraudlab scorer on its own', () => {
  const stack = embeddedStackFixture()

  it('scores what another producer wrote, checkpoints, and resumes after a restart without deciding anything twice', async () => {
    const names = stack.state.resources.names
    const scenario = new ScenarioSimulator(loadScenario('paysim-mule').scenario, { seed: 3, idPrefix: 'ext' })
    const put = async (n: number) => {
      const Records = Array.from({ length: n }, () => {
        const { transaction } = scenario.next()
        return { PartitionKey: transaction.account, Data: Buffer.from(JSON.stringify(transaction)) }
      })
      const out = await stack.clients.kinesis.send(new PutRecordsCommand({ StreamName: names.transactionsStream, Records }))
      assert.equal(out.FailedRecordCount ?? 0, 0)
    }
    // one record that carries a label: the scorer must refuse it, not score it
    await stack.clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: names.transactionsStream,
        Records: [{ PartitionKey: 'x', Data: Buffer.from(JSON.stringify({ ...scenario.next().transaction, id: 'ext-labelled', isFraud: 1 })) }],
      }),
    )
    await put(300)
    const seen: Decision[] = []
    const first = await runScorerUntil(stack.env, stack.clients, names.decisionsStream, 301, seen)
    assert.equal(first.code, 0, first.stderr)
    const stats = JSON.parse(first.stdout) as { recordsRead: number; invalidRecords: number; checkpointsWritten: number }
    assert.equal(stats.recordsRead, 301)
    assert.equal(stats.invalidRecords, 1)
    assert.ok(stats.checkpointsWritten > 0)
    assert.equal(seen.find((d) => d.transactionId === 'ext-labelled')?.verdict, 'reject')
    const { Shards = [] } = await stack.clients.kinesis.send(new ListShardsCommand({ StreamName: names.transactionsStream }))
    for (const shard of Shards) {
      const { Item: lease } = await stack.clients.dynamodb.send(
        new GetItemCommand({ TableName: names.leaseTable, Key: { leaseKey: { S: `fraudlab-scorer|${names.transactionsStream}|${shard.ShardId}` } }, ConsistentRead: true }),
      )
      assert.match(lease?.checkpoint?.S ?? '', /^\d+$/, 'each shard checkpointed in its lease (KCL format)')
      assert.equal(lease?.checkpointSubSequenceNumber?.N, '0')
      assert.equal(lease?.leaseOwner, undefined, 'Ctrl-C gave the lease back')
      assert.ok(Number(lease?.leaseCounter?.N) >= 2, 'taken and released: the counter moved')
    }

    await put(200)
    const second = await runScorerUntil(stack.env, stack.clients, names.decisionsStream, 501, seen)
    assert.equal(second.code, 0, second.stderr)
    assert.equal((JSON.parse(second.stdout) as { recordsRead: number }).recordsRead, 200, 'resumed after the checkpoint')
    const ids = seen.map((d) => d.transactionId)
    assert.equal(ids.length, 501)
    assert.equal(new Set(ids).size, 501, 'no transaction decided twice')
  })

  it('refuses to run on the embedded target when no stack is up', async () => {
    const result = await runCli(['scorer'], { env: { FRAUDLAB_STATE_DIR: tempDir('empty') } })
    assert.equal(result.code, 2)
    assert.match(result.stderr, /No embedded stack is running.*\nHint: Start one with `fraudlab stack up`/)
  })
})

describe('embedded stacks', () => {
  it('pick free ports, so two stacks side by side never collide', async () => {
    const [a, b] = await Promise.all([startEmbeddedStack({ detached: false }), startEmbeddedStack({ detached: false })])
    try {
      const endpoints = [...a.services, ...b.services].map((s) => s.endpoint)
      assert.equal(new Set(endpoints).size, 6)
      for (const stack of [a, b]) {
        const clients = createAwsClients(stack.endpoints())
        await clients.dynamodb.send(new ListTablesCommand({}))
        clients.destroy()
      }
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
