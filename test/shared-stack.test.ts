import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { describe, it } from 'node:test'
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import type { RunSummary } from '../src/report/run-summary.js'
import { acquireRunLock } from '../src/stack/run-lock.js'
import { resourceNames } from '../src/stack/resource-names.js'
import { embeddedStackFixture, runCli, tempDir, type CliResult } from './helpers.js'

const RUN = ['simulate', '--scenario', 'card-testing', '--count', '1500', '--tps', '250', '--seed', '21', '--json']

/** What must not depend on whether another run shares the stack. */
function outcome(summary: RunSummary) {
  const { sent, decided, lost, duplicated, blocked, labelledFraud, failedToProduce } = summary.counts
  const { truePositives, falsePositives, trueNegatives, falseNegatives } = summary.accuracy
  return { sent, decided, lost, duplicated, blocked, labelledFraud, failedToProduce, truePositives, falsePositives, trueNegatives, falseNegatives }
}

function summaryOf(result: CliResult): RunSummary {
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout) as RunSummary
}

describe('runs that share one `stack up` stack', () => {
  const stack = embeddedStackFixture()
  const lockKey = { leaseKey: { S: 'fraudlab-run-lock' } }

  it('refuses a second run on the same streams (exit 2, naming the first), while a run with its own --prefix beside it gets the same figures as alone', async () => {
    const reportsDir = tempDir('shared-reports')
    const first = runCli([...RUN, '--reports-dir', reportsDir], { env: stack.env })
    let holder: string | undefined
    for (let i = 0; i < 300 && !holder; i++) {
      const { Item: item } = await stack.clients.dynamodb.send(new GetItemCommand({ TableName: 'fraudlab-leases', Key: lockKey, ConsistentRead: true })).catch(() => ({ Item: undefined }))
      holder = item?.runId?.S
      if (!holder) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.ok(holder, 'the first run never took the lock')

    const status = await runCli(['stack', 'status', '--json'], { env: stack.env })
    assert.equal((JSON.parse(status.stdout) as { inUseBy?: { runId: string } }).inUseBy?.runId, holder)
    const [second, beside] = await Promise.all([
      runCli([...RUN, '--reports-dir', reportsDir], { env: stack.env }),
      runCli([...RUN, '--prefix', 'beside-', '--reports-dir', reportsDir], { env: stack.env }),
    ])
    assert.equal(second.code, 2, second.stderr)
    assert.match(second.stderr, new RegExp(`in use by run ${holder} \\(simulate, pid \\d+ on `))
    assert.match(second.stderr, /--prefix fraudlab-2-/)
    assert.match(second.stderr, /FRAUDLAB_STATE_DIR=/)

    const firstSummary = summaryOf(await first)
    const besideSummary = summaryOf(beside)
    assert.equal(firstSummary.runId, holder)
    // The refused run left no report folder: only the two that ran wrote one.
    assert.deepEqual(readdirSync(reportsDir).sort(), [firstSummary.runId, besideSummary.runId].sort())

    const alone = summaryOf(await runCli([...RUN, '--reports-dir', reportsDir], { env: stack.env }))
    assert.ok(alone.counts.sent > 1000 && alone.counts.blocked > 0, JSON.stringify(alone.counts))
    assert.deepEqual(outcome(alone), { ...outcome(alone), lost: 0, duplicated: 0 })
    assert.deepEqual(outcome(firstSummary), outcome(alone))
    assert.deepEqual(outcome(besideSummary), outcome(alone))
    // Released at the end: nothing holds the stack now.
    assert.equal(await lockHolder(), undefined)
  })

  it('takes over a lock whose run is gone (killed on this host, or silent past the expiry), never one that is alive', async () => {
    const names = resourceNames()
    const put = (fields: { runId: string; host: string; pid: number; expiresAtMs: number }) =>
      stack.clients.dynamodb.send(
        new PutItemCommand({
          TableName: names.leaseTable,
          Item: { ...lockKey, runId: { S: fields.runId }, command: { S: 'simulate' }, host: { S: fields.host }, pid: { N: String(fields.pid) }, startedAt: { S: new Date().toISOString() }, expiresAtMs: { N: String(fields.expiresAtMs) } },
        }),
      )
    const newcomer = { runId: 'newcomer', command: 'simulate', where: 'the test stack' }

    // Alive (this test's own process) and not expired: refused.
    await put({ runId: 'alive-run', host: hostname(), pid: process.pid, expiresAtMs: Date.now() + 60_000 })
    await assert.rejects(acquireRunLock(stack.clients.dynamodb, names, newcomer), /in use by run alive-run \(simulate, pid \d+ on /)
    assert.equal(await lockHolder(), 'alive-run')

    // On another host and no longer renewed: taken once expired.
    await put({ runId: 'silent-run', host: 'another-host', pid: 1, expiresAtMs: Date.now() - 1 })
    await (await acquireRunLock(stack.clients.dynamodb, names, newcomer)).release()

    // On this host, its process gone: taken at once, long before the expiry.
    const exited = spawn(process.execPath, ['-e', ''])
    await once(exited, 'exit')
    await put({ runId: 'killed-run', host: hostname(), pid: exited.pid!, expiresAtMs: Date.now() + 60_000 })
    const taken = await acquireRunLock(stack.clients.dynamodb, names, newcomer)
    assert.equal(await lockHolder(), 'newcomer')
    await taken.release()
    assert.equal(await lockHolder(), undefined)
  })

  it('tells a run that stalled past the expiry that another run took its lock', async () => {
    const names = resourceNames()
    const stalled = await acquireRunLock(stack.clients.dynamodb, names, { runId: 'stalled', command: 'simulate', where: 'the test stack' }, { expiryMs: 50, renewEveryMs: 300 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    const next = await acquireRunLock(stack.clients.dynamodb, names, { runId: 'next', command: 'replay', where: 'the test stack' })
    for (let i = 0; i < 50 && !stalled.lostTo; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(stalled.lostTo?.runId, 'next')
    await stalled.release()
    assert.equal(await lockHolder(), 'next', "a run that lost the lock must not release the new holder's")
    await next.release()
  })

  async function lockHolder(): Promise<string | undefined> {
    const { Item: item } = await stack.clients.dynamodb.send(new GetItemCommand({ TableName: 'fraudlab-leases', Key: lockKey, ConsistentRead: true }))
    return item?.runId?.S
  }
})
