import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BatchWriteItemCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { loadScenario } from '../src/scenario/scenario-loader.js'
import { ScenarioSimulator } from '../src/scenario/simulator.js'
import { renderScorerDeployment } from '../src/deploy/scorer-deployment.js'
import type { ScorerDecision } from '../src/schema/decision.js'
import { BlockActions, type BlockAction } from '../src/scorer/block-actions.js'
import { embeddedStackFixture } from './helpers.js'

type Send = (command: object) => Promise<unknown>

/** A real client whose every call goes through `around`, which may hold, redirect or record it. */
function intercepted<T extends object>(client: T, around: (command: object, send: Send) => Promise<unknown>): T {
  const send: Send = (command) => (client as unknown as { send: Send }).send(command)
  return { send: (command: object) => around(command, send) } as unknown as T
}

/** The embedded DynamoDB, with every BatchWriteItem (the alertSentAt marks) held until `release`. */
function holdingMarks(dynamodb: DynamoDBClient) {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let held = 0
  const client = intercepted(dynamodb, (command, send) => {
    if (!(command instanceof BatchWriteItemCommand)) return send(command)
    held++
    return released.then(() => send(command))
  })
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

  it('take effect once the BlockList item and the alert exist, mark the alerts sent after in one batch, and a replay neither writes nor alerts again', async () => {
    const { names, alertsTopicArn } = stack.state.resources
    const dynamodb = holdingMarks(stack.clients.dynamodb)
    const actions = new BlockActions({ dynamodb: dynamodb.client, sns: stack.clients.sns }, names.blockListTable, alertsTopicArn)
    const blocks = blocksOf(12, 1)
    const itemOf = async ({ transaction }: BlockAction) =>
      (await stack.clients.dynamodb.send(new GetItemCommand({ TableName: names.blockListTable, Key: { account: { S: transaction.account }, transactionId: { S: transaction.id } }, ConsistentRead: true }))).Item

    // The marks are held: apply must not wait for them.
    const applied = await Promise.race([actions.apply(blocks).then(() => 'applied'), new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5_000))])
    assert.equal(applied, 'applied', 'apply waited for the alertSentAt marks')
    assert.deepEqual({ written: actions.stats.blockListWrites, alerted: actions.stats.alertsPublished, marked: actions.stats.alertMarksWritten }, { written: 12, alerted: 12, marked: 0 })
    const before = await itemOf(blocks[0])
    assert.equal(before?.transactionId?.S, blocks[0].transaction.id)
    assert.equal(before?.alertSentAt, undefined)

    dynamodb.release()
    await actions.flushMarks()
    assert.equal(dynamodb.held(), 1, 'twelve marks, one BatchWriteItem')
    assert.equal(actions.stats.alertMarksWritten, 12)
    for (const block of blocks) {
      const item = await itemOf(block)
      assert.ok(item?.alertSentAt?.S, `${block.transaction.id} has no alertSentAt once marked`)
      // Written again whole: the mark keeps what the block wrote.
      assert.deepEqual({ score: item.score, modelVersion: item.modelVersion?.S }, { score: { N: '0.97' }, modelVersion: 'test-model' })
    }

    // A replay (a restart before the checkpoint): nothing written, nothing published or marked a second time.
    await actions.apply(blocks)
    await actions.flushMarks()
    assert.deepEqual(
      { written: actions.stats.blockListWrites, present: actions.stats.blockListAlreadyPresent, alerted: actions.stats.alertsPublished, marks: dynamodb.held() },
      { written: 12, present: 12, alerted: 12, marks: 1 },
    )
  })

  it('count a mark DynamoDB refuses as failed, and a replay of its block alerts again rather than never', async () => {
    const { names, alertsTopicArn } = stack.state.resources
    // The marks fail: BatchWriteItem on a table that does not exist.
    const failingMarks = intercepted(stack.clients.dynamodb, (command, send) =>
      send(command instanceof BatchWriteItemCommand ? new BatchWriteItemCommand({ RequestItems: { 'no-such-table': Object.values(command.input.RequestItems ?? {})[0] } }) : command),
    )
    const actions = new BlockActions({ dynamodb: failingMarks, sns: stack.clients.sns }, names.blockListTable, alertsTopicArn, { markLingerMs: 10 })
    const blocks = blocksOf(2, 2)
    await actions.apply(blocks)
    await actions.flushMarks()
    assert.deepEqual({ alerted: actions.stats.alertsPublished, marked: actions.stats.alertMarksWritten, failed: actions.stats.alertMarksFailed }, { alerted: 2, marked: 0, failed: 2 })
    await actions.apply(blocks)
    assert.deepEqual({ written: actions.stats.blockListWrites, present: actions.stats.blockListAlreadyPresent, alerted: actions.stats.alertsPublished }, { written: 2, present: 2, alerted: 4 })
  })

  it('make only calls that the IAM policy of `deploy render` allows on the BlockList and the alerts topic', async () => {
    const { names, alertsTopicArn } = stack.state.resources
    const called = new Set<string>()
    const recording = <T extends object>(service: string, client: T): T =>
      intercepted(client, (command, send) => {
        called.add(`${service}:${command.constructor.name.replace(/Command$/, '')}`)
        return send(command)
      })
    const actions = new BlockActions({ dynamodb: recording('dynamodb', stack.clients.dynamodb), sns: recording('sns', stack.clients.sns) }, names.blockListTable, alertsTopicArn, { markLingerMs: 10 })
    const blocks = blocksOf(3, 3)
    await actions.apply(blocks)
    await actions.flushMarks()
    await actions.alreadyBlocked(blocks.map((block) => block.transaction))
    // A replay: the item is read back (its alert is marked, so it is not published again).
    await actions.apply(blocksOf(1, 3))

    const rendered = renderScorerDeployment({ names, region: 'eu-west-1', account: '123456789012', shards: 1, image: 'fraudlab', namespace: 'default', roleArn: 'arn:aws:iam::123456789012:role/r', consumer: 'efo', iteratorAgeMs: 60_000 })
    const policy = rendered.find((file) => file.name === 'iam-policy.json')!.content as { Statement: Array<{ Action: string[]; Resource: string[] }> }
    const allowedOn = (arn: string) => new Set(policy.Statement.filter((statement) => statement.Resource.includes(arn)).flatMap((statement) => statement.Action))
    const onBlockList = allowedOn(`arn:aws:dynamodb:eu-west-1:123456789012:table/${names.blockListTable}`)
    const onTopic = allowedOn(`arn:aws:sns:eu-west-1:123456789012:${names.alertsTopic}`)
    // IAM authorises PublishBatch as sns:Publish.
    const iamAction = (call: string) => (call === 'sns:PublishBatch' ? 'sns:Publish' : call)
    assert.ok(called.has('dynamodb:BatchWriteItem') && called.has('dynamodb:GetItem'), `the calls seen: ${[...called].join(', ')}`)
    for (const call of called) {
      const allowed = call.startsWith('sns:') ? onTopic : onBlockList
      assert.ok(allowed.has(iamAction(call)), `${call} is not allowed by iam-policy.json`)
    }
  })
})
