import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import { planRun } from '../src/run/run-plan.js'
import { simulate } from '../src/run/simulate-run.js'
import { parseFaultPlan } from '../src/stack/fault-plan.js'
import { SCORER_CONSUMER_NAME } from '../src/stream/consumer-names.js'
import { LeaseTable } from '../src/stream/lease-table.js'
import { embeddedStackFixture, tempDir } from './helpers.js'

describe('several scorers sharing shards by lease', () => {
  // A stack of its own that outlives the run, so that the lease table can be read as the scorers left it.
  const stack = embeddedStackFixture()

  it('3 scorers on 8 shards at 1,000/s, one killed every 5 s: nothing lost, every shard held by one live scorer, failovers measured', async () => {
    const crash = ['scorer.crash=every:5s']
    const failoverMs = 2_000
    const { summary } = await simulate({
      target: 'embedded',
      prefix: 'group-',
      yes: false,
      stateDir: stack.stateDir,
      reportsDir: tempDir('reports'),
      plan: planRun('mixed', { tps: 1_000, durationMs: 21_000, seed: 5 }),
      shards: 8,
      scorers: 3,
      leaseFailoverMs: failoverMs,
      faults: { plan: parseFaultPlan(crash), specs: crash },
      maxLatenessMs: 1_000,
      pollIntervalMs: 200,
      checkpointIntervalMs: 1_000,
      drainTimeoutMs: 60_000,
      model: DEFAULT_MODEL_PATH,
    })
    assert.equal(summary.status, 'completed')
    assert.equal(summary.counts.sent, 21_000)
    assert.equal(summary.counts.lost, 0)
    assert.equal(summary.counts.decided, 21_000)
    assert.equal(summary.reconciliation.ok, true)
    assert.ok(summary.counts.scorerRestarts >= 3, `a scorer killed every 5 s (${summary.counts.scorerRestarts} restarts)`)
    assert.ok(summary.counts.duplicated > 0, 'what a killed scorer decided after its last checkpoint was decided again, and removed')
    assert.equal(summary.counts.blockListItems, summary.counts.blocked, 'conditional writes kept the BlockList exact')

    const leases = summary.diagnostics.leases as { shards: number; owners: Record<string, number>; unowned: number; heldByOthers: number; failover: { count: number; p50Ms: number; maxMs: number } }
    assert.equal(leases.shards, 8)
    assert.equal(leases.unowned, 0, 'every shard held at the end of the drain')
    assert.equal(leases.heldByOthers, 0, 'and by a running scorer, not a dead one')
    assert.equal(Object.values(leases.owners).reduce((a, b) => a + b, 0), 8)
    assert.ok(Object.keys(leases.owners).length <= 3)
    assert.ok(leases.failover.count >= 3, `dead scorers' shards were taken over (${leases.failover.count})`)
    // A dead scorer's last renewal came up to a third of the failover time before its death.
    assert.ok(leases.failover.p50Ms >= (failoverMs * 2) / 3, `not before the failover time since its last renewal: p50 ${leases.failover.p50Ms} ms`)
    assert.ok(leases.failover.maxMs < failoverMs * 4, `within a few take passes of it: max ${leases.failover.maxMs} ms`)

    // A graceful stop checkpoints and releases: no owner, counters moved, a sequence number in every lease.
    const leasesAfter = await new LeaseTable(stack.clients.dynamodb, 'group-leases', { consumerName: SCORER_CONSUMER_NAME, stream: 'group-transactions' }).list()
    assert.equal(leasesAfter.length, 8)
    for (const lease of leasesAfter) {
      assert.equal(lease.leaseOwner, undefined, `${lease.shardId} released`)
      assert.match(lease.checkpoint, /^\d+$/, `${lease.shardId} checkpointed`)
      assert.ok(lease.leaseCounter >= 2)
      // A lease taken over once the load had ended has nothing new to read, so its last owner had nothing to checkpoint
      // (KCL does the same): then nothing may follow its checkpoint.
      if (lease.ownerSwitchesSinceCheckpoint > 0) {
        const { ShardIterator } = await stack.clients.kinesis.send(new GetShardIteratorCommand({ StreamName: 'group-transactions', ShardId: lease.shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: lease.checkpoint }))
        const { Records = [] } = await stack.clients.kinesis.send(new GetRecordsCommand({ ShardIterator }))
        assert.equal(Records.length, 0, `${lease.shardId}: taken over ${lease.ownerSwitchesSinceCheckpoint} times since its checkpoint, with records after it`)
      }
    }
  })
})
