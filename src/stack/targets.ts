import { EXIT_CODES } from '../errors/exit-codes.js'
import { UserError } from '../errors/user-error.js'
import { createAwsClients } from './aws-clients.js'
import { EMULATOR_CREDENTIALS, type AwsEndpoints, type TargetName } from '../aws/endpoints.js'
import { awsPreflight, checkCredentials, resolveAwsSettings } from './aws-preflight.js'
import type { FanOutConsumer } from './fan-out-consumers.js'
import { readLocalStackRecord } from './localstack-container.js'
import { embeddedEndpoints, startEmbeddedStack, type EmbeddedStack } from './embedded-stack.js'
import type { ResourceNames } from './resource-names.js'
import { isOurEmulator, readStackState, type ServiceRecord } from './state-file.js'

/** How a user picks a target: the same flags on every command. */
export interface TargetSelection {
  target: TargetName
  endpoint?: string
  region?: string
  /** For `aws`: the shared-config profile (credentials, and the region unless given). */
  profile?: string
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
  /** The run's offered rate, for the AWS plan's shard-capacity warning. */
  offeredTps?: number
  /** The stream consumers the run registers (enhanced fan-out), for the AWS plan's list and cost. */
  fanOutConsumers?: FanOutConsumer[]
}

export interface ResolvedTarget {
  endpoints: AwsEndpoints
  /** A stack this process started for itself and must stop. */
  ownedStack?: EmbeddedStack
  /** Services of a stack started earlier by `fraudlab stack up`, watched but not owned. */
  externalServices?: ServiceRecord[]
  /** The embedded stack's key to its emulators' limits and faults. */
  controlToken?: string
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
          return { endpoints: embeddedEndpoints(state.services), externalServices: state.services, controlToken: state.controlToken, description: `embedded stack from ${request.stateDir}` }
        }
        log(`The stack recorded in ${request.stateDir} is not running (${dead.map((s) => s.implementation).join(', ')} gone); starting a fresh one for this run.`)
      }
      const stack = await startEmbeddedStack({ detached: false })
      return { endpoints: stack.endpoints(), ownedStack: stack, controlToken: stack.controlToken, description: 'embedded stack started for this run' }
    }
    case 'localstack': {
      const endpoint = await localStackEndpoint(request)
      await assertReachable(endpoint)
      const region = request.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
      return {
        endpoints: { target: 'localstack', region, kinesis: endpoint, dynamodb: endpoint, sns: endpoint, sqs: endpoint, credentials: EMULATOR_CREDENTIALS },
        description: `LocalStack at ${endpoint}`,
      }
    }
    case 'aws': {
      const settings = await resolveAwsSettings(request)
      const { region, profile } = settings
      const endpoints: AwsEndpoints = { target: 'aws', region, profile }
      // Read-only until --yes: who the credentials are, which resources exist, what would be created.
      const identity = await checkCredentials(settings)
      const clients = createAwsClients(endpoints)
      try {
        for (const line of await awsPreflight(clients, { ...request, ...settings }, identity)) log(line)
      } finally {
        clients.destroy()
      }
      if (!request.yes) {
        throw new UserError('Nothing was created on AWS: this target creates billable resources only with --yes.', {
          hint: 'Review the plan above, then run the same command with --yes.',
          exitCode: 1,
        })
      }
      return { endpoints, description: `AWS ${region} (account ${identity.account})` }
    }
  }
}

/** The endpoint the user chose: --endpoint, else AWS_ENDPOINT_URL (an empty one counts as unset). */
export function chosenEndpoint(request: Pick<TargetRequest, 'endpoint'>): string | undefined {
  return request.endpoint ?? (process.env.AWS_ENDPOINT_URL || undefined)
}

/** The chosen endpoint, else a LocalStack `stack up` started, else localhost:4566. */
export async function localStackEndpoint(request: Pick<TargetRequest, 'endpoint' | 'stateDir'>): Promise<string> {
  return chosenEndpoint(request) ?? (await readLocalStackRecord(request.stateDir))?.endpoint ?? DEFAULT_LOCALSTACK_ENDPOINT
}

export async function isReachable(endpoint: string): Promise<boolean> {
  try {
    await fetch(new URL('/_localstack/health', endpoint), { signal: AbortSignal.timeout(3_000) })
    return true
  } catch {
    return false
  }
}

async function assertReachable(endpoint: string): Promise<void> {
  if (!URL.canParse(endpoint)) throw new UserError(`--endpoint ${endpoint} is not a URL.`, { hint: 'Use a form like http://localhost:4566.' })
  if (!(await isReachable(endpoint))) {
    throw new UserError(`Nothing answers at ${endpoint} (target localstack).`, {
      hint: 'Start LocalStack first (see localstack/README.md), or pass --endpoint / set AWS_ENDPOINT_URL to where it listens.',
      exitCode: EXIT_CODES.unreachable,
    })
  }
}
