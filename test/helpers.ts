import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { mkdtempSync, readFileSync } from 'node:fs'
import { after, before } from 'node:test'
import { createAwsClients, type AwsClients } from '../src/stack/aws-clients.js'
import { embeddedEndpoints } from '../src/stack/embedded-stack.js'
import type { StackState } from '../src/stack/state-file.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CLI = join(REPO_ROOT, 'bin', 'run.js')

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `fraudlab-${name}-`))
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the real `fraudlab` binary, as a user would. Each call has its own state directory unless
 * the test gives one: a stack the developer started in the working copy is never used, or changed.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string; wrap?: string[] } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // `wrap` runs the CLI under another command (the serve benchmark pins it with taskset).
    const [file, ...wrapArgs] = [...(options.wrap ?? []), process.execPath]
    const child = spawn(file, [...wrapArgs, CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, FRAUDLAB_STATE_DIR: tempDir('state'), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`fraudlab ${args.join(' ')} timed out\n${stderr}`))
    }, options.timeoutMs ?? 120_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export interface StackFixture {
  stateDir: string
  env: Record<string, string>
  state: StackState
  clients: AwsClients
}

/** A suite's own embedded stack: `stack up` through the binary before, `stack down` after. */
export function embeddedStackFixture(): StackFixture {
  const stateDir = tempDir('state')
  // state and clients are filled in by before(), ahead of every test of the suite
  const fixture = { stateDir, env: { FRAUDLAB_STATE_DIR: stateDir } } as unknown as StackFixture
  before(async () => {
    const up = await runCli(['stack', 'up', '--json'], { env: fixture.env })
    assert.equal(up.code, 0, up.stderr)
    fixture.state = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as StackState
    fixture.clients = createAwsClients(embeddedEndpoints(fixture.state.services))
  })
  after(async () => {
    fixture.clients?.destroy()
    await runCli(['stack', 'down'], { env: fixture.env })
  })
  return fixture
}

const kinesisAgg = createRequire(import.meta.url)('aws-kinesis-agg') as {
  deaggregateSync(record: object, computeChecksums: boolean, done: (error: Error | undefined, records?: Array<{ Data: string }>) => void): void
}

/** Every record of a stream from its start, de-aggregated (KPL) as a KCL consumer would read them. */
export async function readWholeStream(kinesis: KinesisClient, stream: string): Promise<unknown[]> {
  const records: unknown[] = []
  const { Shards: shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }))
  for (const shard of shards) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }))
      // Decisions arrive as KPL aggregates: read them with AWS's own de-aggregator, as a KCL consumer would.
      for (const record of page.Records ?? []) {
        kinesisAgg.deaggregateSync({ PartitionKey: record.PartitionKey, SequenceNumber: record.SequenceNumber, Data: Buffer.from(record.Data!).toString('base64') }, true, (error, users) => {
          if (error) throw error
          for (const user of users ?? []) records.push(JSON.parse(Buffer.from(user.Data, 'base64').toString('utf8')))
        })
      }
      if (!page.Records?.length) break
      iterator = page.NextShardIterator
    }
  }
  return records
}
