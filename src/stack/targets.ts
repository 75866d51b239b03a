import { UserError } from '../errors/user-error.js'
import { EMULATOR_CREDENTIALS, type AwsEndpoints, type TargetName } from '../aws/endpoints.js'
import { embeddedEndpoints, startEmbeddedStack, type EmbeddedStack } from './embedded-stack.js'
import type { ResourceNames } from './resource-names.js'
import { isOurEmulator, readStackState, type ServiceRecord } from './state-file.js'

/** How a user picks a target: the same flags on every command. */
export interface TargetSelection {
  target: TargetName
  endpoint?: string
  region?: string
  /** Prefix of every stream, table and topic name. */
  prefix: string
  /** For `aws`: consent to create resources (and be billed for them). */
  yes: boolean
  stateDir: string
}

export interface TargetRequest extends Omit<TargetSelection, 'prefix'> {
  names: ResourceNames
  transactionShards: number
  decisionShards: number
}

export interface ResolvedTarget {
  endpoints: AwsEndpoints
  /** A stack this process started for itself and must stop. */
  ownedStack?: EmbeddedStack
  /** Services of a stack started earlier by `fraudlab stack up`, watched but not owned. */
  externalServices?: ServiceRecord[]
  description: string
}

export const DEFAULT_LOCALSTACK_ENDPOINT = 'http://localhost:4566'

/**
 * Finds or starts what a run talks to. The three targets differ only in endpoints and
 * credentials; everything downstream is the same code.
 */
export async function resolveTarget(request: TargetRequest, log: (line: string) => void): Promise<ResolvedTarget> {
  switch (request.target) {
    case 'embedded': {
      const state = await readStackState(request.stateDir)
      if (state) {
        const dead = state.services.filter((service) => !isOurEmulator(service.pid))
        if (dead.length === 0) {
          return { endpoints: embeddedEndpoints(state.services), externalServices: state.services, description: `embedded stack from ${request.stateDir}` }
        }
        log(`The stack recorded in ${request.stateDir} is not running (${dead.map((s) => s.implementation).join(', ')} gone); starting a fresh one for this run.`)
      }
      const stack = await startEmbeddedStack({ detached: false })
      return { endpoints: stack.endpoints(), ownedStack: stack, description: 'embedded stack started for this run' }
    }
    case 'localstack': {
      const endpoint = request.endpoint ?? process.env.AWS_ENDPOINT_URL ?? DEFAULT_LOCALSTACK_ENDPOINT
      await assertReachable(endpoint)
      const region = request.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
      return {
        endpoints: { target: 'localstack', region, kinesis: endpoint, dynamodb: endpoint, sns: endpoint, credentials: EMULATOR_CREDENTIALS },
        description: `LocalStack at ${endpoint}`,
      }
    }
    case 'aws': {
      const region = request.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
      if (!region) throw new UserError('No AWS region is set.', { hint: 'Pass --region or set AWS_REGION.' })
      const plan = awsPlan(request, region)
      for (const line of plan) log(line)
      if (!request.yes) {
        throw new UserError('Nothing was created on AWS: this target creates billable resources only with --yes.', {
          hint: 'Review the plan above, then run the same command with --yes.',
          exitCode: 1,
        })
      }
      return { endpoints: { target: 'aws', region }, description: `AWS ${region}` }
    }
  }
}

/** What a run creates on AWS if missing, with its cost drivers (us-east-1 list prices). */
export function awsPlan(request: Pick<TargetRequest, 'names' | 'transactionShards' | 'decisionShards'>, region: string): string[] {
  const shards = request.transactionShards + request.decisionShards
  return [
    `Plan for AWS (${region}); existing resources with these names are reused:`,
    `  Kinesis stream ${request.names.transactionsStream}: ${request.transactionShards} provisioned shards`,
    `  Kinesis stream ${request.names.decisionsStream}: ${request.decisionShards} provisioned shards`,
    `  DynamoDB table ${request.names.blockListTable} (on-demand)`,
    `  DynamoDB table ${request.names.checkpointsTable} (on-demand)`,
    `  SNS topic ${request.names.alertsTopic}`,
    'Cost drivers (us-east-1 list prices; check your region):',
    `  ${shards} shard-hours per hour at $0.015 = $${(shards * 0.015).toFixed(3)}/hour while the streams exist, plus $0.014 per million PUT payload units`,
    '  DynamoDB on-demand: per request ($0.625 per million writes); no hourly charge',
    '  SNS: $0.50 per million publishes; no hourly charge',
    'fraudlab does not delete AWS resources yet: delete these with your usual tools when you are done.',
  ]
}

async function assertReachable(endpoint: string): Promise<void> {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new UserError(`--endpoint ${endpoint} is not a URL.`, { hint: 'Use a form like http://localhost:4566.' })
  }
  try {
    await fetch(new URL('/_localstack/health', url), { signal: AbortSignal.timeout(3_000) })
  } catch {
    throw new UserError(`Nothing answers at ${endpoint} (target localstack).`, {
      hint: 'Start LocalStack first (see localstack/README.md), or pass --endpoint / set AWS_ENDPOINT_URL to where it listens.',
    })
  }
}
