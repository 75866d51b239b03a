import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DescribeTableCommand, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb'
import { CreateStreamCommand, ListTagsForStreamCommand } from '@aws-sdk/client-kinesis'
import { ListTagsForResourceCommand } from '@aws-sdk/client-sns'
import { createAwsClients, type AwsClients } from '../src/stack/aws-clients.js'
import { startEmbeddedStack, type EmbeddedStack } from '../src/stack/embedded-stack.js'
import { MANAGED_TAG, PREFIX_TAG, TABLE_KEYS, provision } from '../src/stack/provision.js'
import { resourceNames } from '../src/stack/resource-names.js'
import { REPO_ROOT, tempDir } from './helpers.js'

describe('provisioning tags what it creates, and only that', () => {
  let stack: EmbeddedStack
  let clients: AwsClients
  before(async () => {
    stack = await startEmbeddedStack({ detached: false })
    clients = createAwsClients(stack.endpoints())
  })
  after(async () => {
    clients.destroy()
    await stack.stop()
  })

  it('streams, tables and topic carry fraudlab-managed and fraudlab-prefix; a stream that existed before keeps its own tags', async () => {
    const names = resourceNames('tagged-')
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: names.decisionsStream, ShardCount: 1 }))
    const resources = await provision(clients, { names, transactionShards: 1, decisionShards: 1 })
    assert.deepEqual(resources.created.sort(), ['stream tagged-transactions (1 shards)', 'table tagged-blocklist', 'table tagged-leases', 'topic tagged-alerts'])
    const expected = [
      { Key: MANAGED_TAG, Value: 'true' },
      { Key: PREFIX_TAG, Value: 'tagged-' },
    ]
    const streamTags = await clients.kinesis.send(new ListTagsForStreamCommand({ StreamName: names.transactionsStream }))
    assert.deepEqual(streamTags.Tags, expected)
    const untouched = await clients.kinesis.send(new ListTagsForStreamCommand({ StreamName: names.decisionsStream }))
    assert.deepEqual(untouched.Tags, [], 'the pre-existing stream is not claimed')
    for (const table of [names.blockListTable, names.leaseTable]) {
      const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }))
      const tags = await clients.dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: Table!.TableArn }))
      assert.deepEqual(tags.Tags, expected, table)
    }
    const topicTags = await clients.sns.send(new ListTagsForResourceCommand({ ResourceArn: resources.alertsTopicArn }))
    assert.deepEqual(topicTags.Tags, expected)
    // Provisioning again creates and tags nothing.
    const again = await provision(clients, { names, transactionShards: 1, decisionShards: 1 })
    assert.deepEqual(again.created, [])
  })
})

describe('localstack/: the ready hook and the compose file', () => {
  it('the ready hook creates exactly what provisioning creates: names, shard counts, key schemas and tags', () => {
    // A recording awslocal stands in for LocalStack's: the hook's calls are compared, not run.
    const bin = tempDir('awslocal')
    const log = join(bin, 'calls.log')
    writeFileSync(join(bin, 'awslocal'), `#!/bin/bash\nprintf '%s\\n' "$*" >> ${JSON.stringify(log)}\n`)
    chmodSync(join(bin, 'awslocal'), 0o755)
    const hook = join(REPO_ROOT, 'localstack', 'init', 'ready.d', 'fraudlab-resources.sh')
    execFileSync('bash', [hook], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FRAUDLAB_PREFIX: 'team-', FRAUDLAB_SHARDS: '3' } })
    const calls = readFileSync(log, 'utf8').trim().split('\n')
    const names = resourceNames('team-')
    for (const stream of [names.transactionsStream, names.decisionsStream]) {
      assert.ok(calls.includes(`kinesis create-stream --stream-name ${stream} --shard-count 3`), stream)
      assert.ok(calls.includes(`kinesis add-tags-to-stream --stream-name ${stream} --tags ${MANAGED_TAG}=true,${PREFIX_TAG}=team-`), `${stream} tags`)
    }
    const tableCall = (name: string) => calls.find((c) => c.startsWith(`dynamodb create-table --table-name ${name} `))
    for (const [name, keys] of [
      [names.blockListTable, TABLE_KEYS.blockList],
      [names.leaseTable, TABLE_KEYS.leases],
    ] as const) {
      const call = tableCall(name)
      assert.ok(call, name)
      assert.ok(call.includes('--billing-mode PAY_PER_REQUEST'))
      assert.ok(call.includes(`--key-schema ${keys.map(([attribute, type]) => `AttributeName=${attribute},KeyType=${type}`).join(' ')}`), `${name} keys`)
      assert.ok(call.includes(`--tags Key=${MANAGED_TAG},Value=true Key=${PREFIX_TAG},Value=team-`), `${name} tags`)
    }
    assert.ok(calls.includes(`sns create-topic --name ${names.alertsTopic} --tags Key=${MANAGED_TAG},Value=true Key=${PREFIX_TAG},Value=team-`))
    assert.equal(calls.filter((c) => / create-(stream|table|topic) /.test(c)).length, 5, 'nothing more')
  })

  it('the compose file mounts the hook and starts the three services fraudlab uses', () => {
    const compose = readFileSync(join(REPO_ROOT, 'localstack', 'docker-compose.yml'), 'utf8')
    assert.match(compose, /SERVICES: kinesis,dynamodb,sns/)
    assert.match(compose, /\.\/init\/ready\.d:\/etc\/localstack\/init\/ready\.d/)
    assert.match(compose, /4566:4566/)
  })
})
