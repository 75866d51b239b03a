import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ListStreamsCommand } from '@aws-sdk/client-kinesis'
import { createAwsClients } from '../src/stack/aws-clients.js'
import { EMULATOR_CREDENTIALS } from '../src/aws/endpoints.js'
import { dockerUnavailableReason, LOCALSTACK_IMAGE, TESTCONTAINERS_MISSING, type LocalStackRecord } from '../src/stack/localstack-container.js'
import { motoCommand, startMoto, type MotoServer } from './moto.js'
import { runCli, tempDir } from './helpers.js'
import { describeNeeding } from './optional-suite.js'

const noDocker = await dockerUnavailableReason()
// Nothing listens on the discard port: a LocalStack that is not there.
const DEAD_ENDPOINT_ENV = { AWS_ENDPOINT_URL: '' }

describeNeeding('--target localstack without Docker', noDocker ? false : 'a Docker engine is reachable here: the no-Docker message cannot be shown', ({ it, before, after }) => {
  it('stack up, with no LocalStack answering and no Docker engine (or no testcontainers): says so, points to the compose file and --endpoint, exit 3, no stack trace', async () => {
    const state = tempDir('ls-state')
    const result = await runCli(['stack', 'up', '--target', 'localstack', '--state-dir', state], { env: DEAD_ENDPOINT_ENV })
    assert.equal(result.code, 3)
    // testcontainers is an optional dependency: npm leaves it out when its own node is older than it needs.
    if (noDocker === TESTCONTAINERS_MISSING) {
      assert.match(result.stderr, /Nothing answers at http:\/\/localhost:4566, and fraudlab cannot start LocalStack: testcontainers, an optional dependency, is not installed\./)
      assert.match(result.stderr, /npm install testcontainers @testcontainers\/localstack/)
    } else assert.match(result.stderr, /Nothing answers at http:\/\/localhost:4566, and fraudlab cannot start LocalStack: no Docker engine is reachable \(.+\)\./)
    assert.match(result.stderr, /docker compose -f localstack\/docker-compose\.yml up -d/)
    assert.match(result.stderr, /--endpoint URL \/ AWS_ENDPOINT_URL/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  })

  it('stack down --target localstack with nothing started by fraudlab leaves LocalStack alone and says how to stop it', async () => {
    const result = await runCli(['stack', 'down', '--target', 'localstack', '--state-dir', tempDir('ls-none')])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /fraudlab started no LocalStack/)
    assert.match(result.stderr, /docker compose -f localstack\/docker-compose\.yml down/)
  })
})

describeNeeding('stack up --target localstack with a Docker engine', noDocker ? `${noDocker}; the LocalStack container test runs where one is` : false, ({ it, before, after }) => {
  it('starts LocalStack with testcontainers, provisions it, and stack down stops it', { timeout: 600_000 }, async () => {
    const state = tempDir('ls-docker')
    const up = await runCli(['stack', 'up', '--target', 'localstack', '--state-dir', state, '--json'], { env: DEAD_ENDPOINT_ENV, timeoutMs: 600_000 })
    assert.equal(up.code, 0, up.stderr)
    assert.match(up.stderr, new RegExp(`LocalStack [0-9a-f]{12} is up at http://`))
    const down = await runCli(['stack', 'down', '--target', 'localstack', '--state-dir', state])
    assert.equal(down.code, 0, down.stderr)
    assert.match(down.stdout, /Stopped the LocalStack container/)
  })
})

const moto = motoCommand()
describeNeeding('a LocalStack recorded by stack up is the one later commands use', 'missing' in moto ? moto.missing : false, ({ it, before, after }) => {
  let server: MotoServer
  before(async () => {
    server = await startMoto((moto as { command: string[] }).command)
  })
  after(async () => server?.stop())

  it('stack up --target localstack provisions at the recorded endpoint when no endpoint is given', async () => {
    // moto stands in for the container `stack up` would have started and recorded.
    const state = tempDir('ls-recorded')
    mkdirSync(state, { recursive: true })
    const record: LocalStackRecord = { version: 1, containerId: '0123456789abcdef', endpoint: server.url, image: LOCALSTACK_IMAGE, startedAt: new Date().toISOString() }
    writeFileSync(join(state, 'localstack.json'), JSON.stringify(record))
    const up = await runCli(['stack', 'up', '--target', 'localstack', '--state-dir', state, '--prefix', 'recorded-', '--shards', '1'], { env: DEAD_ENDPOINT_ENV })
    assert.equal(up.code, 0, up.stderr)
    const clients = createAwsClients({ target: 'localstack', region: 'us-east-1', kinesis: server.url, dynamodb: server.url, sns: server.url, credentials: EMULATOR_CREDENTIALS })
    try {
      const streams = (await clients.kinesis.send(new ListStreamsCommand({}))).StreamNames ?? []
      assert.deepEqual(streams.filter((s) => s.startsWith('recorded-')).sort(), ['recorded-decisions', 'recorded-transactions'])
    } finally {
      clients.destroy()
    }
  })
})
