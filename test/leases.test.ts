import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand, UpdateShardCountCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { createAwsClients, type AwsClients } from '../src/stack/aws-clients.js'
import { startEmbeddedStack, type EmbeddedStack } from '../src/stack/embedded-stack.js'
import { LeaseCoordinator } from '../src/stream/lease-coordinator.js'
import { LeaseLostError, LeaseTable } from '../src/stream/lease-table.js'
import { ShardReader } from '../src/stream/shard-reader.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One shard holding records 1…30, three to a GetRecords page. */
const oneShard: Pick<KinesisClient, 'send'> = {
  send: (async (command: unknown) => {
    if (command instanceof ListShardsCommand) return { Shards: [{ ShardId: 'shardId-000000000000', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' } }] }
    if (command instanceof GetShardIteratorCommand) return { ShardIterator: command.input.StartingSequenceNumber ?? '0' }
    if (command instanceof GetRecordsCommand) {
      const from = Number(command.input.ShardIterator)
      const records = Array.from({ length: Math.max(0, Math.min(3, 30 - from)) }, (_, i) => ({ SequenceNumber: String(from + i + 1), Data: new Uint8Array(), PartitionKey: 'k' }))
      return { Records: records, NextShardIterator: String(Math.min(30, from + 3)), MillisBehindLatest: 0, $metadata: {} }
    }
    throw new Error(`unexpected ${String(command)}`)
  }) as KinesisClient['send'],
}
const SHARDS = Array.from({ length: 8 }, (_, i) => ({ shardId: `shardId-00000000000${i}` }))

/** Leases per owner, as the table has them. */
async function ownersOf(table: LeaseTable): Promise<Map<string | undefined, number>> {
  const counts = new Map<string | undefined, number>()
  for (const lease of await table.list()) counts.set(lease.leaseOwner, (counts.get(lease.leaseOwner) ?? 0) + 1)
  return counts
}

/** Whether a worker may act on a shard now. */
const holds = (worker: LeaseCoordinator, shardId: string) => worker.taking(shardId)?.holds() ?? false

describe('shard leases in DynamoDB (KCL format)', () => {
  let stack: EmbeddedStack
  let clients: AwsClients
  let tables = 0
  /** A fresh lease table per test, on the embedded DynamoDB. */
  const newTable = async () => {
    const name = `leases-${++tables}`
    await clients.dynamodb.send(new CreateTableCommand({ TableName: name, AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }))
    return new LeaseTable(clients.dynamodb, name, { consumerName: 'scorers', stream: 'tx' })
  }

  before(async () => {
    stack = await startEmbeddedStack({ detached: false })
    clients = createAwsClients(stack.endpoints())
  })
  after(async () => {
    clients?.destroy()
    await stack?.stop()
  })

  it('writes KCL items, and every write is refused unless the counter or owner is as expected', async () => {
    const table = await newTable()
    await table.ensure([{ shardId: 'shardId-000000000002', parentShardIds: ['shardId-000000000000', 'shardId-000000000001'] }], 'TRIM_HORIZON')
    await table.ensure([{ shardId: 'shardId-000000000002' }], 'LATEST') // kept as it was
    const [lease] = await table.list()
    const raw = (await clients.dynamodb.send(new GetItemCommand({ TableName: table.table, Key: { leaseKey: { S: lease.leaseKey } }, ConsistentRead: true }))).Item!
    assert.deepEqual(Object.keys(raw).sort(), ['checkpoint', 'checkpointSubSequenceNumber', 'leaseCounter', 'leaseKey', 'ownerSwitchesSinceCheckpoint', 'parentShardId'])
    assert.equal(raw.checkpoint.S, 'TRIM_HORIZON')
    assert.deepEqual(raw.parentShardId.SS?.sort(), ['shardId-000000000000', 'shardId-000000000001'])
    assert.equal(lease.leaseOwner, undefined)

    const a = await table.take(lease, 'worker-a')
    assert.ok(a)
    assert.equal(a.leaseCounter, 1)
    assert.equal(await table.take(lease, 'worker-b'), undefined, 'a take with a stale counter is refused')
    await assert.rejects(table.renew(lease.leaseKey, 'worker-b', a.leaseCounter), LeaseLostError, 'only the owner renews')
    const renewed = await table.renew(lease.leaseKey, 'worker-a', a.leaseCounter)
    assert.equal(await table.renew(lease.leaseKey, 'worker-a', a.leaseCounter), renewed, 'the same renewal again (its answer lost) is known as applied, not as a lost lease')
    await assert.rejects(table.renew(lease.leaseKey, 'worker-a', a.leaseCounter - 1), LeaseLostError, 'a renewal with a stale counter is refused')
    await table.checkpoint(lease.leaseKey, 'worker-a', '4960')
    await assert.rejects(table.checkpoint(lease.leaseKey, 'worker-b', '5000'), LeaseLostError, 'only the owner checkpoints')

    const stolen = await table.take({ ...a, leaseCounter: renewed }, 'worker-b')
    assert.equal(stolen?.leaseOwner, 'worker-b')
    const [afterSteal] = await table.list()
    assert.equal(afterSteal.leaseOwner, 'worker-b')
    assert.equal(afterSteal.ownerSwitchesSinceCheckpoint, 1, 'the owner changed since the last checkpoint')
    assert.equal(afterSteal.checkpoint, '4960')
    await assert.rejects(table.checkpoint(lease.leaseKey, 'worker-a', '6000'), LeaseLostError, 'the old owner can no longer checkpoint')
    await table.checkpoint(lease.leaseKey, 'worker-b', '6100')
    await table.release(lease.leaseKey, 'worker-b')
    const [released] = await table.list()
    assert.equal(released.leaseOwner, undefined)
    assert.equal(released.ownerSwitchesSinceCheckpoint, 0)
    assert.equal(released.leaseCounter, renewed + 2)
  })

  it('workers that join one holding everything steal one lease at a time until eight shards are shared 3/3/2, each held by one', async () => {
    const table = await newTable()
    const workers = ['a', 'b', 'c'].map((name) => new LeaseCoordinator(table, name, { failoverMs: 900 }))
    const held = new Map<string, Set<string>>(workers.map((w) => [w.worker, new Set()]))
    const join = async (w: LeaseCoordinator) => {
      await w.start(SHARDS, 'TRIM_HORIZON')
      for (const { shardId } of w.listen({ acquired: (shardId) => held.get(w.worker)!.add(shardId), lost: (shardId) => held.get(w.worker)!.delete(shardId) })) held.get(w.worker)!.add(shardId)
    }
    await join(workers[0])
    assert.equal(held.get('a')!.size, 8, 'alone, the first takes every shard')
    await Promise.all(workers.slice(1).map(join))
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && [...(await ownersOf(table)).values()].sort().join() !== '2,3,3') await sleep(200)
    await sleep(1_000)
    const owners = await ownersOf(table)
    assert.deepEqual([...owners.values()].sort(), [2, 3, 3], `balanced: ${JSON.stringify([...owners])}`)
    for (const { shardId } of SHARDS) assert.equal(workers.filter((w) => holds(w, shardId)).length, 1, `${shardId} held by exactly one worker`)
    for (const w of workers) assert.deepEqual([...held.get(w.worker)!].sort(), SHARDS.filter(({ shardId }) => holds(w, shardId)).map(({ shardId }) => shardId), 'what each worker was told matches what it holds')
    await Promise.all(workers.map((w) => w.stop()))
    assert.deepEqual([...(await ownersOf(table)).keys()], [undefined], 'all released')
    assert.equal(workers.reduce((sum, w) => sum + w.stats.released, 0), 8)
  })

  it("takes a dead worker's leases once they have not moved for the failover time, and measures it", async () => {
    const table = await newTable()
    await table.ensure(SHARDS, 'TRIM_HORIZON')
    // A worker that took three leases and died: it never renews them.
    const deadOnes = (await table.list()).slice(0, 3)
    for (const lease of deadOnes) await table.take(lease, 'dead')
    const failoverMs = 1_000
    // Three workers expected (the dead one among them): a share of three each, so nobody steals from anyone.
    const survivors = ['b', 'c'].map((name) => new LeaseCoordinator(table, name, { failoverMs, expectedWorkers: 3, takeEveryMs: 250 }))
    const startedAt = Date.now()
    await Promise.all(survivors.map((w) => w.start(SHARDS, 'TRIM_HORIZON')))
    for (const w of survivors) w.listen({ acquired: () => {}, lost: () => {} })
    assert.equal((await ownersOf(table)).get('dead'), 3, 'only the free leases at first: the dead worker’s are not yet expired')
    while ((await ownersOf(table)).has('dead') && Date.now() - startedAt < 10_000) await sleep(100)
    const tookOverAfter = Date.now() - startedAt
    assert.ok(tookOverAfter >= failoverMs, `not before the failover time (${tookOverAfter} ms)`)
    assert.ok(tookOverAfter < failoverMs * 4, `soon after it (${tookOverAfter} ms)`)
    const takeovers = survivors.flatMap((w) => w.stats.takeovers)
    assert.deepEqual(takeovers.map((t) => t.from), ['dead', 'dead', 'dead'])
    for (const { unmovedMs, atMs } of takeovers) {
      assert.ok(unmovedMs >= failoverMs && unmovedMs < failoverMs * 4, `unmoved for the failover time: ${unmovedMs} ms`)
      assert.ok(atMs - startedAt >= failoverMs, 'taken over no sooner than the failover time')
    }
    const leases = await table.list()
    assert.ok(leases.every((lease) => lease.leaseOwner === 'b' || lease.leaseOwner === 'c'))
    for (const dead of deadOnes) {
      assert.ok(leases.find((lease) => lease.leaseKey === dead.leaseKey)!.ownerSwitchesSinceCheckpoint >= 2, 'each of the dead worker’s leases changed owner at least twice since its last checkpoint')
    }
    await Promise.all(survivors.map((w) => w.stop()))
  })

  it('a reader whose lease is taken mid-page stops that shard, and never checkpoints past the page it did not act on', async () => {
    const table = await newTable()
    const leases = new LeaseCoordinator(table, 'a', { failoverMs: 600, takeEveryMs: 60_000 })
    const acted: string[] = []
    let pages = 0
    const reader = new ShardReader({
      kinesis: oneShard,
      stream: 'tx',
      startAt: 'TRIM_HORIZON',
      leases,
      checkpointIntervalMs: 0,
      pollIntervalMs: 1,
      recordsPerCall: 3,
      pagesInFlight: 1,
      handler: async (batch) => {
        if (++pages === 3) {
          // Another worker takes the shard while this page is in hand; the renewal hears of it.
          const [lease] = await table.list()
          await table.take(lease, 'thief')
          await sleep(400)
        }
        // As the scorer does: no effect once the lease is gone.
        if (batch.stillHeld?.() !== false) acted.push(batch.records.at(-1)!.SequenceNumber!)
      },
    })
    await reader.open()
    const stop = new AbortController()
    const running = reader.run(stop.signal)
    const deadline = Date.now() + 5_000
    while (leases.stats.lost === 0 && Date.now() < deadline) await sleep(20)
    await sleep(100)
    stop.abort()
    await running
    assert.deepEqual(acted, ['3', '6'], 'the third page was not acted on')
    const [lease] = await table.list()
    assert.equal(lease.leaseOwner, 'thief')
    assert.equal(lease.checkpoint, '6', 'the position stopped before the page it did not act on: the new owner replays it')
    assert.equal(reader.stats.getRecordsCalls, 3, 'and it read no further')
    await leases.stop()
  })

  it('after a reshard, two workers read each child only once its parent is read to its end (SHARD_END): every key stays in order, nothing lost', async () => {
    const table = await newTable()
    const { kinesis } = clients
    await kinesis.send(new CreateStreamCommand({ StreamName: 'tx', ShardCount: 1 }))
    const keys = Array.from({ length: 40 }, (_, i) => `account-${i}`)
    let sent = 0
    const put = async () => {
      for (let round = 0; round < 5; round++) await kinesis.send(new PutRecordsCommand({ StreamName: 'tx', Records: keys.map((key) => ({ PartitionKey: key, Data: Buffer.from(String(sent++)) })) }))
    }
    await put()
    await kinesis.send(new UpdateShardCountCommand({ StreamName: 'tx', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }))
    await put()

    // Each record once in the order handled, across both workers; the parent's pages are slow, so a
    // child read too early would be handled before the parent's last records.
    const handled: Array<{ shardId: string; key: string; index: number }> = []
    const worker = (name: string) => {
      const leases = new LeaseCoordinator(table, name, { failoverMs: 3_000, takeEveryMs: 100, expectedWorkers: 2 })
      const reader = new ShardReader({
        kinesis,
        stream: 'tx',
        startAt: 'TRIM_HORIZON',
        leases,
        checkpointIntervalMs: 0,
        pollIntervalMs: 20,
        recordsPerCall: 25,
        handler: async (batch) => {
          if (batch.shardId === 'shardId-000000000000') await sleep(40)
          for (const record of batch.records) handled.push({ shardId: batch.shardId, key: record.PartitionKey!, index: Number(Buffer.from(record.Data!).toString('utf8')) })
        },
      })
      return { leases, reader }
    }
    const workers = [worker('a'), worker('b')]
    for (const { reader } of workers) await reader.open()
    const stop = new AbortController()
    const running = workers.map(({ reader }) => reader.run(stop.signal))
    const deadline = Date.now() + 15_000
    while (handled.length < sent && Date.now() < deadline) await sleep(20)
    stop.abort()
    await Promise.all(running)
    await Promise.all(workers.map(({ leases }) => leases.stop()))

    assert.equal(new Set(handled.map((h) => h.index)).size, sent, 'every record handled')
    assert.equal(handled.length, sent, 'once')
    const lastOfParent = handled.findLastIndex((h) => h.shardId === 'shardId-000000000000')
    const firstOfChild = handled.findIndex((h) => h.shardId !== 'shardId-000000000000')
    assert.ok(lastOfParent < firstOfChild, `the parent was finished first (its last record handled at ${lastOfParent}, a child's first at ${firstOfChild})`)
    for (const key of keys) {
      const order = handled.filter((h) => h.key === key).map((h) => h.index)
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `${key} in order`)
    }
    const leases = await table.list()
    assert.deepEqual(leases.map((lease) => [lease.shardId, lease.checkpoint === 'SHARD_END' ? 'SHARD_END' : /^\d+$/.test(lease.checkpoint) ? 'sequence' : lease.checkpoint, lease.parentShardIds, lease.leaseOwner ?? null]), [
      ['shardId-000000000000', 'SHARD_END', [], null],
      ['shardId-000000000001', 'sequence', ['shardId-000000000000'], null],
      ['shardId-000000000002', 'sequence', ['shardId-000000000000'], null],
    ])
    assert.equal(workers.reduce((sum, { leases }) => sum + leases.stats.shardsEnded, 0), 1)
  })

  it('a worker whose renewals stalled past the failover time drops its leases, then takes them back when nobody else did: a lone scorer never stops reading', async () => {
    const table = await newTable()
    // Renewals far apart: the first due after the failover time, as when a renewal call hangs.
    const worker = new LeaseCoordinator(table, 'a', { failoverMs: 300, renewEveryMs: 60_000, takeEveryMs: 100 })
    await worker.start([{ shardId: 'shardId-000000000000' }], 'TRIM_HORIZON')
    assert.equal(holds(worker, 'shardId-000000000000'), true)
    await sleep(350)
    assert.equal(holds(worker, 'shardId-000000000000'), false, 'dropped: no renewal within the failover time')
    assert.equal(worker.stats.lost, 1)
    const deadline = Date.now() + 3_000
    while (!holds(worker, 'shardId-000000000000') && Date.now() < deadline) await sleep(20)
    assert.equal(holds(worker, 'shardId-000000000000'), true, 'taken back at the next take pass')
    assert.equal(worker.stats.reclaimed, 1)
    const [lease] = await table.list()
    assert.equal(lease.leaseOwner, 'a')
    assert.ok(lease.leaseCounter >= 2)
    await worker.stop()
  })

  it('a worker whose lease was stolen hears it at its next renewal and stops holding it', async () => {
    const table = await newTable()
    const lost: string[] = []
    const a = new LeaseCoordinator(table, 'a', { failoverMs: 600, takeEveryMs: 200 })
    await a.start(SHARDS.slice(0, 2), 'TRIM_HORIZON')
    a.listen({ acquired: () => {}, lost: (shardId) => lost.push(shardId) })
    const [first, second] = [a.taking(SHARDS[0].shardId)!, a.taking(SHARDS[1].shardId)!]
    assert.ok(first.holds() && second.holds())
    const [stolen] = await table.list()
    assert.ok(await table.take(stolen, 'thief'))
    await sleep(500)
    assert.deepEqual(lost, [stolen.shardId])
    assert.equal(first.holds(), false)
    assert.equal(second.holds(), true)
    await assert.rejects(first.checkpoint('123'), LeaseLostError)
    await second.checkpoint('456')
    // Taken back later, the shard is another taking: the first one stays refused.
    const [back] = (await table.list()).filter((lease) => lease.shardId === stolen.shardId)
    await table.release(back.leaseKey, 'thief')
    await sleep(500)
    assert.ok(holds(a, stolen.shardId), 'freed, it is taken again')
    assert.equal(first.holds(), false)
    await assert.rejects(first.checkpoint('789'), LeaseLostError)
    assert.equal(a.stats.lost, 1)
    await a.stop()
  })
})
