import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { DEFAULT_MODEL_PATH } from '../src/decision/load-score-model.js'
import type { ReshardOutcome } from '../src/run/reshard-step.js'
import { instantiatePlan, planRun } from '../src/run/run-plan.js'
import { simulate } from '../src/run/simulate-run.js'
import type { ConsumerChoice } from '../src/run/start-pipeline.js'
import { SCORER_CONSUMER_NAME } from '../src/stream/consumer-names.js'
import { LeaseTable } from '../src/stream/lease-table.js'
import { embeddedStackFixture, runCli, tempDir } from './helpers.js'

describe('resharding the transactions stream mid-run (--reshard)', () => {
  // A stack that outlives each run, so that the lease table can be read as the scorer left it.
  const stack = embeddedStackFixture()

  for (const consumer of ['polling', 'efo'] as ConsumerChoice[]) {
    it(`2 → 4 shards mid-run (${consumer}): nothing lost, parents read to their end before their children, every account decided in the order it was sent`, async () => {
      const prefix = `reshard-${consumer}-`
      const plan = planRun('mixed', { tps: 400, durationMs: 10_000, seed: 9 })
      const reportsDir = tempDir('reshard-reports')
      const { summary } = await simulate({
        target: 'embedded',
        prefix,
        yes: false,
        stateDir: stack.stateDir,
        reportsDir,
        plan,
        shards: 2,
        reshard: { atMs: 4_000, shards: 4 },
        consumer,
        maxLatenessMs: 1_000,
        pollIntervalMs: 200,
        checkpointIntervalMs: 1_000,
        drainTimeoutMs: 30_000,
        model: DEFAULT_MODEL_PATH,
      })
      assert.equal(summary.status, 'completed', summary.error)
      assert.equal(summary.counts.lost, 0)
      assert.equal(summary.counts.decided, summary.counts.sent)
      assert.equal(summary.reconciliation.ok, true)
      const reshard = summary.diagnostics.reshard as ReshardOutcome
      assert.equal(reshard.error, undefined)
      assert.deepEqual([reshard.from, reshard.to], [2, 4])
      assert.ok(reshard.requestedAtLoadMs >= 3_990 && reshard.requestedAtLoadMs < 5_000, `requested ${reshard.requestedAtLoadMs} ms into the load`)
      assert.match(summary.reconciliation.notes.join('\n'), /resharded from 2 to 4 open shards/)
      assert.equal(summary.config.reshard, '4s:4')

      // The parents ended (SHARD_END) and the four children were read and checkpointed, each naming its parent.
      const leases = await new LeaseTable(stack.clients.dynamodb, `${prefix}leases`, { consumerName: SCORER_CONSUMER_NAME, stream: `${prefix}transactions` }).list()
      assert.deepEqual(
        leases.map((lease) => [lease.shardId.slice(-1), lease.checkpoint === 'SHARD_END' ? 'SHARD_END' : /^\d+$/.test(lease.checkpoint) ? 'sequence' : lease.checkpoint, lease.parentShardIds.map((id) => id.slice(-1)).join(',')]),
        [
          ['0', 'SHARD_END', ''],
          ['1', 'SHARD_END', ''],
          ['2', 'sequence', '0'],
          ['3', 'sequence', '0'],
          ['4', 'sequence', '1'],
          ['5', 'sequence', '1'],
        ],
      )

      // Per account, the scorer read the transactions in the order they were sent, across the reshard.
      const { source } = instantiatePlan(plan, 'order-')
      const accounts = Array.from({ length: summary.counts.emitted }, () => source.next().transaction.account)
      const fetched = new Map<number, number>()
      let firstScheduledAt = Infinity
      for (const line of gunzipSync(readFileSync(join(reportsDir, summary.runId, 'decisions.ndjson.gz'))).toString('utf8').trim().split('\n')) {
        const decision = JSON.parse(line) as { id: string; t: { scheduled: number; fetched: number } | null }
        if (!decision.t) continue
        fetched.set(Number(decision.id.slice(decision.id.lastIndexOf('-') + 1)), decision.t.fetched)
        firstScheduledAt = Math.min(firstScheduledAt, decision.t.scheduled)
      }
      assert.equal(fetched.size, summary.counts.sent)
      const byAccount = new Map<string, number[]>()
      for (const [index] of [...fetched].sort((a, b) => a[0] - b[0])) byAccount.set(accounts[index], [...(byAccount.get(accounts[index]) ?? []), index])
      const reshardAt = firstScheduledAt + reshard.requestedAtLoadMs
      let straddling = 0
      for (const [account, indexes] of byAccount) {
        const times = indexes.map((index) => fetched.get(index)!)
        for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], `${account}: transaction ${indexes[i]} read before ${indexes[i - 1]}`)
        if (times[0] < reshardAt && times.at(-1)! > reshardAt + 500) straddling++
      }
      assert.ok(straddling >= 50, `accounts with transactions on both sides of the reshard: ${straddling}`)
    })
  }

  it('refuses a reshard Kinesis would refuse, or one with --aggregate, before the run starts, naming the fix', async () => {
    const tooFar = await runCli(['simulate', '--tps', '50', '--duration', '5s', '--shards', '2', '--reshard', '2s:5', '--no-ui'], { env: { FRAUDLAB_STATE_DIR: stack.stateDir } })
    assert.equal(tooFar.code, 2)
    assert.match(tooFar.stderr, /--reshard 5: Kinesis scales a stream of 2 open shards to between 1 and 4 in one step/)
    const aggregated = await runCli(['simulate', '--tps', '50', '--duration', '5s', '--reshard', '2s:4', '--aggregate', '--no-ui'], { env: { FRAUDLAB_STATE_DIR: stack.stateDir } })
    assert.equal(aggregated.code, 2)
    assert.match(aggregated.stderr, /--reshard cannot be combined with --aggregate/)
    const malformed = await runCli(['simulate', '--reshard', '4'], { env: { FRAUDLAB_STATE_DIR: stack.stateDir } })
    assert.equal(malformed.code, 2)
    assert.match(malformed.stderr, /--reshard must be AT:COUNT/)
  })
})
