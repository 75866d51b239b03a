import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import type { ScorerDecision } from '../src/schema/decision.js'
import { BlockActions, type BlockAction } from '../src/scorer/block-actions.js'
import { embeddedStackFixture } from './helpers.js'

/** The embedded DynamoDB, with every UpdateItem (the alertSentAt marks) held until `release`. */
function holdingUpdates(dynamodb: DynamoDBClient) {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let held = 0
  const client = {
    send: (command: unknown, ...rest: unknown[]) => {
      if (!(command instanceof UpdateItemCommand)) return (dynamodb.send as (...args: unknown[]) => unknown)(command, ...rest)
      held++
      return released.then(() => dynamodb.send(command))
    },
  } as unknown as DynamoDBClient
  return { client, release, held: () => held }
}

function blocksOf(count: number, seed: number): BlockAction[] {
  const scenario = new ScenarioSimulator(loadScenario('card-testing').scenario, { seed, idPrefix: `blk${seed}` })
  return Array.from({ length: count }, () => {
    const { transaction } = scenario.next()
    const decision: ScorerDecision = {
      transactionId: transaction.id,
      score: 0.97,
      verdict: 'block',
      reasons: ['test'],
      modelVersion: 'test-model',
      scorerId: 'test',
      timestamps: { arrivedAt: 0, fetchedAt: 0, scoredAt: 0, actedAt: 0 },
    }
    return { transaction, decision }
  })
}

describe('block actions', () => {
  const stack = embeddedStackFixture()

  it('take effect once the BlockList item and the alert exist, mark the alert sent after, and a replay neither writes nor alerts again', async () => {
    const { names, alertsTopicArn } = stack.state.resources
    const dynamodb = holdingUpdates(stack.clients.dynamodb)
    const actions = new BlockActions({ dynamodb: dynamodb.client, sns: stack.clients.sns }, names.blockListTable, alertsTopicArn)
    const blocks = blocksOf(12, 1)
    const itemOf = async ({ transaction }: BlockAction) =>
      (await stack.clients.dynamodb.send(new GetItemCommand({ TableName: names.blockListTable, Key: { account: { S: transaction.account }, transactionId: { S: transaction.id } }, ConsistentRead: true }))).Item

    // The marks are held: apply must not wait for them.
    const applied = await Promise.race([actions.apply(blocks), new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5_000))])
    assert.notEqual(applied, 'waited', 'apply waited for the alertSentAt marks')
    assert.deepEqual({ written: actions.stats.blockListWrites, alerted: actions.stats.alertsPublished, marksAsked: dynamodb.held() }, { written: 12, alerted: 12, marksAsked: 12 })
    for (const block of blocks) {
      const item = await itemOf(block)
      assert.equal(item?.transactionId?.S, block.transaction.id)
      assert.equal(item?.alertSentAt, undefined)
    }

    dynamodb.release()
    await (applied as { marked: Promise<void> }).marked
    for (const block of blocks) assert.ok((await itemOf(block))?.alertSentAt?.S, `${block.transaction.id} has no alertSentAt once marked`)

    // A replay (a restart before the checkpoint): nothing written, nothing published a second time.
    const replayed = await actions.apply(blocks)
    await replayed.marked
    assert.deepEqual(
      { written: actions.stats.blockListWrites, present: actions.stats.blockListAlreadyPresent, alerted: actions.stats.alertsPublished, marksAsked: dynamodb.held() },
      { written: 12, present: 12, alerted: 12, marksAsked: 12 },
    )
  })

  it('surface a failed mark through `marked`, not as an unhandled rejection', async () => {
    const { names, alertsTopicArn } = stack.state.resources
    // The marks fail: UpdateItem on a table that does not exist.
    const failingMarks = {
      send: (command: unknown) =>
        command instanceof UpdateItemCommand
          ? stack.clients.dynamodb.send(new UpdateItemCommand({ ...command.input, TableName: 'no-such-table' }))
          : (stack.clients.dynamodb.send as (c: unknown) => unknown)(command),
    } as unknown as DynamoDBClient
    const actions = new BlockActions({ dynamodb: failingMarks, sns: stack.clients.sns }, names.blockListTable, alertsTopicArn)
    const applied = await actions.apply(blocksOf(2, 2))
    assert.equal(actions.stats.alertsPublished, 2)
    await assert.rejects(applied.marked, /ResourceNotFound|not found|non-existent/i)
  })
})
