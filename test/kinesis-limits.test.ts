import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { createAwsClients, type AwsClients } from '../src/stack/aws-clients.js'
import { errorName } from '../src/aws/backoff.js'
import type { RunSummary } from '../src/report/summary-schema.js'
import { decisionShardsForRate, shardCapacityWarning, shardsForRate } from '../src/stack/shard-capacity.js'
import { startEmbeddedStack, type EmbeddedStack } from '../src/stack/embedded-stack.js'
import { CONTROL_TOKEN_HEADER } from '../src/stack/emulator-control.js'
import { CONTROL_PATH, NO_FAULTS, parseFaultPlan } from '../src/stack/fault-plan.js'
import { KINESIS_SHARD_LIMITS, ShardLimiter } from '../src/stack/front/shard-limiter.js'
import { hashKeyOf, ShardMap } from '../src/stream/shard-map.js'
import { runCli, tempDir } from './helpers.js'

describe('Kinesis per-shard limits: the token buckets', () => {
  const limiter = (clock: { now: number }) => new ShardLimiter({ ...KINESIS_SHARD_LIMITS }, () => clock.now)

  it('a shard takes a burst of exactly 1,000 records, then 1 more per millisecond; shards are independent', () => {
    const clock = { now: 0 }
    const l = limiter(clock)
    let admitted = 0
    for (let i = 0; i < 1_500; i++) if (l.admitWrite('s/shard-0', 100)) admitted++
    assert.equal(admitted, 1_000)
    assert.equal(l.admitWrite('s/shard-1', 100), true, 'another shard has its own bucket')
    clock.now = 250
    admitted = 0
    for (let i = 0; i < 500; i++) if (l.admitWrite('s/shard-0', 100)) admitted++
    assert.equal(admitted, 250, 'a quarter second refills a quarter of the rate')
  })

  it('1 MiB a second: 1 KiB records stop at 1,024, however few records that is', () => {
    const clock = { now: 0 }
    const l = limiter(clock)
    let admitted = 0
    for (let i = 0; i < 2_000; i++) if (l.admitWrite('s/shard-0', 1_024)) admitted++
    assert.equal(admitted, 1_000, 'records bind first at 1 KiB')
    const big = limiter({ now: 0 })
    admitted = 0
    for (let i = 0; i < 100; i++) if (big.admitWrite('s/shard-0', 100 * 1_024)) admitted++
    assert.equal(admitted, 10, '100 KiB records: 1 MiB allows 10')
  })

  it('reads: 5 calls a second per shard; a large read is paid for before the next call', () => {
    const clock = { now: 0 }
    const l = limiter(clock)
    const calls = Array.from({ length: 7 }, () => l.admitRead('s/shard-0'))
    assert.deepEqual(calls, [true, true, true, true, true, false, false])
    clock.now = 200
    assert.equal(l.admitRead('s/shard-0'), true, 'one call back every 200 ms')
    assert.equal(l.admitRead('s/shard-0'), false)
    const t = { now: 0 }
    const paced = new ShardLimiter({ ...KINESIS_SHARD_LIMITS }, () => t.now)
    assert.equal(paced.admitRead('s/shard-0'), true)
    paced.chargeRead('s/shard-0', 6 * 1_048_576)
    t.now = 1_000
    assert.equal(paced.admitRead('s/shard-0'), false, 'a 6 MiB read still owes 2 MiB after a second')
    t.now = 2_100
    assert.equal(paced.admitRead('s/shard-0'), true, 'paid off after 2 seconds')
  })

  it('places records by the MD5 of the partition key, as Kinesis does', () => {
    // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
    assert.equal(hashKeyOf('a'), BigInt('0x0cc175b9c0f1b6a831c399e269772661'))
    assert.equal(hashKeyOf('a', '42'), 42n)
    const half = 2n ** 127n
    const ranges = [
      { shardId: 'shardId-000000000000', startingHashKey: 0n, endingHashKey: half - 1n },
      { shardId: 'shardId-000000000001', startingHashKey: half, endingHashKey: 2n ** 128n - 1n },
    ]
    const shards = new ShardMap(ranges)
    assert.equal(shards.shardOfKey(hashKeyOf('a')).shardId, 'shardId-000000000000')
    assert.equal(shards.shardOfKey(half).shardId, 'shardId-000000000001')
    assert.equal(shards.shardOf('a').shardId, 'shardId-000000000000', 'the fast path agrees')
  })

  it('warns when the rate needs more shards than the stream has', () => {
    assert.equal(shardCapacityWarning(1_500, 2), undefined)
    assert.match(shardCapacityWarning(3_000, 2)!, /3000 transactions\/s exceeds what 2 shards take \(2000 records\/s at 1,000 per shard\).*--shards 4/)
    assert.match(shardCapacityWarning(1_700, 2)!, /is close to/)
  })

  it('sizes an embedded run’s streams for its rate, so that the capacity warning never fires on defaults', () => {
    assert.equal(shardsForRate(10), 2)
    assert.equal(shardsForRate(1_600), 2)
    assert.equal(shardsForRate(1_601), 3)
    assert.equal(shardsForRate(3_000), 4)
    assert.equal(shardsForRate(10_000), 13)
    assert.equal(shardsForRate(1e9), 64)
    assert.equal(shardsForRate(Infinity), 2, 'a replay whose rate is not known yet')
    for (const rate of [100, 999, 2_500, 7_777, 10_000, 40_000]) assert.equal(shardCapacityWarning(rate, shardsForRate(rate)), undefined, `${rate}/s`)
  })

  it('sizes the decisions stream by bytes, since decisions travel aggregated', () => {
    assert.equal(decisionShardsForRate(200), 1)
    assert.equal(decisionShardsForRate(1_000), 1)
    assert.equal(decisionShardsForRate(1_311), 2)
    assert.equal(decisionShardsForRate(10_000), 8)
    assert.equal(decisionShardsForRate(Infinity), 2)
  })
})

describe('--inject', () => {
  it('parses every fault, and refuses a bad value with what to write instead', () => {
    assert.deepEqual(parseFaultPlan(['kinesis.throttle=0.05', 'kinesis.latency=50ms', 'dynamodb.throttle=.02', 'sns.fail=1', 'scorer.crash=every:30s', 'efo.lifetime=10s', 'efo.latency=200ms']), {
      kinesisThrottle: 0.05,
      kinesisLatencyMs: 50,
      dynamodbThrottle: 0.02,
      snsFail: 1,
      scorerCrashEveryMs: 30_000,
      efoLifetimeMs: 10_000,
      efoLatencyMs: 200,
    })
    assert.throws(() => parseFaultPlan(['efo.lifetime=10m']), /not a lifetime from 500ms to 5m/)
    assert.deepEqual(parseFaultPlan([]), NO_FAULTS)
    assert.throws(() => parseFaultPlan(['sns.fail=1.5']), /sns\.fail=1\.5: 1\.5 is not a probability/)
    assert.throws(() => parseFaultPlan(['kinesis.latency=fast']), /not a latency up to 60s/)
    assert.throws(() => parseFaultPlan(['scorer.crash=30s']), /not every:DURATION of at least 1s/)
    assert.throws(() => parseFaultPlan(['throttle']), /is not NAME=VALUE/)
  })
})

describe('Kinesis per-shard limits: the embedded stack through the AWS SDK', () => {
  let stack: EmbeddedStack
  let clients: AwsClients
  before(async () => {
    stack = await startEmbeddedStack({ detached: false })
    // The SDK would retry throttled calls itself; one attempt shows each refusal.
    clients = createAwsClients(stack.endpoints(), { maxAttempts: 1 })
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: 'one', ShardCount: 1 }))
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: 'two', ShardCount: 2 }))
  })
  after(async () => {
    clients.destroy()
    await stack.stop()
  })

  const records = (count: number, key: (i: number) => string) => Array.from({ length: count }, (_, i) => ({ Data: Buffer.from(`{"n":${i}}`), PartitionKey: key(i) }))

  it('PutRecords past 1,000 records a second on a shard: the surplus fails per record with ProvisionedThroughputExceededException, the rest is stored', async () => {
    let ok = 0
    let refused = 0
    const startedAt = performance.now()
    for (let batch = 0; batch < 3; batch++) {
      const output = await clients.kinesis.send(new PutRecordsCommand({ StreamName: 'one', Records: records(500, (i) => `card-${i}`) }))
      for (const result of output.Records ?? []) {
        if (result.ErrorCode) {
          assert.equal(result.ErrorCode, 'ProvisionedThroughputExceededException')
          assert.match(result.ErrorMessage ?? '', /^Rate exceeded for shard shardId-000000000000 in stream one under account \d{12}\.$/)
          refused++
        } else {
          assert.match(result.SequenceNumber ?? '', /^\d+$/)
          ok++
        }
      }
      assert.equal(output.FailedRecordCount, (output.Records ?? []).filter((r) => r.ErrorCode).length)
    }
    // A full bucket, plus what refills while the three calls run: one record a millisecond.
    const elapsedMs = performance.now() - startedAt
    assert.ok(ok >= 1_000 && ok <= 1_000 + Math.ceil(elapsedMs), `${ok} admitted in ${elapsedMs.toFixed(0)} ms`)
    assert.equal(ok + refused, 1_500)
    // What was admitted is what the stream holds.
    const [shard] = (await clients.kinesis.send(new ListShardsCommand({ StreamName: 'one' }))).Shards ?? []
    const { ShardIterator } = await clients.kinesis.send(new GetShardIteratorCommand({ StreamName: 'one', ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    const read = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator }))
    assert.equal(read.Records?.length, ok)
  })

  it('PutRecord, refused, fails as a whole with ProvisionedThroughputExceededException (here by an injected throttle of 1)', async () => {
    const control = new URL(CONTROL_PATH, stack.endpoints().kinesis).toString()
    const headers = { [CONTROL_TOKEN_HEADER]: stack.controlToken }
    await fetch(control, { method: 'PUT', headers, body: JSON.stringify({ throttle: 1 }) })
    try {
      const single = await clients.kinesis.send(new PutRecordCommand({ StreamName: 'one', PartitionKey: 'x', Data: Buffer.from('{}') })).catch((error: unknown) => error)
      assert.equal(errorName(single), 'ProvisionedThroughputExceededException')
      const { counts } = (await (await fetch(control, { headers })).json()) as { counts: { injected: number } }
      assert.equal(counts.injected, 1)
    } finally {
      await fetch(control, { method: 'PUT', headers, body: JSON.stringify({ throttle: 0 }) })
    }
  })

  it('a hot partition key throttles its shard while a spread of keys uses both', async () => {
    let hotFailed = 0
    const startedAt = performance.now()
    for (let batch = 0; batch < 3; batch++) hotFailed += (await clients.kinesis.send(new PutRecordsCommand({ StreamName: 'two', Records: records(500, () => 'hot') }))).FailedRecordCount ?? 0
    const elapsedMs = performance.now() - startedAt
    assert.ok(hotFailed >= 500 - Math.ceil(elapsedMs), `one key, one shard: ${hotFailed} of 1,500 refused in ${elapsedMs.toFixed(0)} ms`)
    // Keys that hash to the other shard still have that shard's whole second.
    const shardOf = (key: string) => (hashKeyOf(key) >= 2n ** 127n ? 1 : 0)
    const otherKeys: string[] = []
    for (let i = 0; otherKeys.length < 500; i++) if (shardOf(`k${i}`) !== shardOf('hot')) otherKeys.push(`k${i}`)
    const other = await clients.kinesis.send(new PutRecordsCommand({ StreamName: 'two', Records: records(500, (i) => otherKeys[i]) }))
    assert.equal(other.FailedRecordCount, 0)
  })

  it('GetRecords past 5 calls a second on a shard is refused with ProvisionedThroughputExceededException; the iterator stays usable', async () => {
    const [shard] = (await clients.kinesis.send(new ListShardsCommand({ StreamName: 'two' }))).Shards ?? []
    let { ShardIterator: iterator } = await clients.kinesis.send(new GetShardIteratorCommand({ StreamName: 'two', ShardId: shard.ShardId, ShardIteratorType: 'LATEST' }))
    const outcomes: string[] = []
    for (let i = 0; i < 7; i++) {
      try {
        const output = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }))
        iterator = output.NextShardIterator
        outcomes.push('ok')
      } catch (error) {
        outcomes.push(errorName(error))
      }
    }
    assert.deepEqual(outcomes.slice(0, 5), ['ok', 'ok', 'ok', 'ok', 'ok'])
    assert.ok(outcomes.slice(5).every((o) => o === 'ProvisionedThroughputExceededException'), outcomes.join(','))
    await new Promise((resolve) => setTimeout(resolve, 450))
    const after = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }))
    assert.ok(Array.isArray(after.Records), 'the refused iterator works once the shard has capacity again')
  })
})

describe('runs under the limits and faults', () => {
  it('a run at 3x its one shard’s write capacity is throttled, retries, and still reconciles every transaction', async () => {
    const reports = tempDir('limits-3x')
    const run = await runCli(['simulate', '--scenario', 'mixed', '--tps', '3000', '--duration', '2s', '--shards', '1', '--seed', '4', '--reports-dir', reports, '--json'], { timeoutMs: 180_000 })
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    assert.match(run.stderr, /3000 transactions\/s exceeds what 1 shard takes/)
    assert.equal(summary.counts.lost, 0)
    assert.equal(summary.counts.decided, summary.counts.sent)
    assert.equal(summary.counts.dropped, 0)
    assert.ok(summary.faults!.kinesis!.limitThrottled >= 2_000, `${summary.faults!.kinesis!.limitThrottled} refused by the shard limit`)
    assert.ok(summary.counts.throttled + summary.counts.retried > 0, 'the client saw and retried the throttling')
    assert.ok(summary.reconciliation.notes.some((n) => /exceeds what 1 shard takes/.test(n)))
    assert.equal(summary.status, 'over-capacity', 'reconciled, but Kinesis took far less than the offered rate')
    assert.match(run.stderr + readFileSync(join(reports, summary.runId, 'summary.md'), 'utf8'), /over capacity \(reconciled\)/)
  })

  it('--aggregate: 1,200 transactions a second fit one shard (1,000 records a second) as KPL aggregates, and the scorer de-aggregates them all', async () => {
    const reports = tempDir('aggregate')
    const run = await runCli(['simulate', '--scenario', 'mixed', '--tps', '1200', '--duration', '3s', '--shards', '1', '--aggregate', '--seed', '5', '--reports-dir', reports, '--json'], { timeoutMs: 180_000 })
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as RunSummary
    assert.equal(summary.status, 'completed')
    assert.equal(summary.counts.lost, 0)
    assert.equal(summary.counts.decided, summary.counts.sent)
    assert.ok(summary.counts.sent >= 3_500)
    assert.equal(summary.faults!.kinesis!.limitThrottled, 0, 'no record refused by the shard limit')
    const aggregation = (summary.diagnostics.producer as { aggregation: { userRecords: number; kinesisRecords: number } }).aggregation
    assert.equal(aggregation.userRecords, summary.counts.sent)
    assert.ok(aggregation.kinesisRecords * 5 < aggregation.userRecords, `${aggregation.kinesisRecords} Kinesis records for ${aggregation.userRecords} transactions`)
    assert.doesNotMatch(run.stderr, /exceeds what 1 shard takes/)
  })

  const cases: Array<{ inject: string; counted: (s: RunSummary) => number; tps?: number }> = [
    { inject: 'kinesis.throttle=0.05', counted: (s) => s.faults!.kinesis!.injected },
    { inject: 'kinesis.latency=30ms', counted: (s) => s.faults!.kinesis!.delayed },
    { inject: 'dynamodb.throttle=0.1', counted: (s) => s.faults!.dynamodb!.injected },
    { inject: 'sns.fail=0.2', counted: (s) => s.faults!.sns!.injected },
    { inject: 'scorer.crash=every:2s', counted: (s) => s.faults!.scorerCrashes },
  ]
  for (const { inject, counted } of cases) {
    it(`--inject ${inject}: the faults are counted in the report and nothing is lost`, async () => {
      const reports = tempDir('inject')
      // A restarted scorer takes its dead predecessor's leases once they expire: soon, here.
      const run = await runCli(['simulate', '--scenario', 'mixed', '--tps', '300', '--duration', '5s', '--seed', '8', '--inject', inject, '--lease-failover', '2s', '--reports-dir', reports, '--json'], { timeoutMs: 180_000 })
      assert.equal(run.code, 0, run.stderr)
      const summary = JSON.parse(run.stdout) as RunSummary
      assert.deepEqual(summary.faults!.injected, [inject])
      assert.ok(counted(summary) > 0, `${inject} injected nothing`)
      assert.equal(summary.counts.lost, 0)
      assert.equal(summary.counts.decided, summary.counts.sent)
      assert.ok(summary.counts.sent >= 1_400)
      if (inject.startsWith('sns')) assert.equal(summary.counts.alertsReceived, summary.counts.blocked, 'every block still alerted (the SDK retried the failed publishes)')
      if (inject.startsWith('scorer')) assert.equal(summary.counts.scorerRestarts, summary.faults!.scorerCrashes)
    })
  }

  it('refuses emulator faults on a target that is not embedded, and an unknown fault, with exit 2', async () => {
    const local = await runCli(['simulate', '--target', 'localstack', '--endpoint', 'http://127.0.0.1:9', '--inject', 'kinesis.throttle=0.1', '--duration', '1s'])
    assert.equal(local.code, 2)
    assert.match(local.stderr, /--inject kinesis\.throttle needs the embedded stack; this run's target is localstack/)
    const unknown = await runCli(['simulate', '--inject', 'kinesis.slow=1'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /there is no fault named kinesis\.slow/)
    assert.doesNotMatch(unknown.stderr, /at .*\.js:\d+/)
  })
})
