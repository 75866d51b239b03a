import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis'
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns'
import { join } from 'node:path'
import { createAwsClients, type AwsClients } from './aws-clients.js'
import { currentRunLock, type RunLockHolder } from './run-lock.js'
import type { TargetName } from '../aws/endpoints.js'
import { UserError } from '../errors/user-error.js'
import { EMBEDDED_REGION, embeddedEndpoints, startEmbeddedStack, stopRecordedServices } from './embedded-stack.js'
import { checkCredentials, resolveAwsSettings } from './aws-preflight.js'
import { deleteManaged, planTeardown, type FoundResource, type TeardownPlan } from './aws-teardown.js'
import { MANAGED_TAG, PREFIX_TAG, provision, type ProvisionedResources } from './provision.js'
import { resourceNames } from './resource-names.js'
import { isOurEmulator, readStackState, removeStackState, writeStackState, type ServiceRecord } from './state-file.js'
import { dockerUnavailableReason, noDockerError, startLocalStackContainer, stopLocalStackContainer, type LocalStackRecord } from './localstack-container.js'
import { chosenEndpoint, isReachable, localStackEndpoint, resolveTarget, type TargetSelection } from './targets.js'

export interface StackRequest extends TargetSelection {
  shards: number
}

export interface StackUpResult {
  target: TargetName
  alreadyRunning: boolean
  services: ServiceRecord[]
  resources: ProvisionedResources
}

/** Starts (embedded) or reaches (LocalStack, AWS) a target and provisions every resource, idempotently. */
export async function stackUp(request: StackRequest, log: (line: string) => void): Promise<StackUpResult> {
  const names = resourceNames(request.prefix)
  if (request.target === 'localstack') request = { ...request, endpoint: await reachOrStartLocalStack(request, log) }
  if (request.target !== 'embedded') {
    const target = await resolveTarget({ ...request, names, transactionShards: request.shards, decisionShards: request.shards }, log)
    const clients = createAwsClients(target.endpoints)
    try {
      const resources = await provision(clients, { names, transactionShards: request.shards, decisionShards: request.shards })
      return { target: request.target, alreadyRunning: false, services: [], resources }
    } finally {
      clients.destroy()
    }
  }
  const existing = await readStackState(request.stateDir)
  const running = existing && existing.services.every((service) => isOurEmulator(service.pid))
  if (existing && !running) await stopRecordedServices(existing.services)
  const stack = running ? undefined : await startEmbeddedStack({ detached: true, logDir: join(request.stateDir, 'logs') })
  const services = running ? existing.services : stack!.services
  const clients = createAwsClients(embeddedEndpoints(services))
  try {
    const resources = await provision(clients, { names, transactionShards: request.shards, decisionShards: request.shards })
    const controlToken = running ? existing.controlToken : stack!.controlToken
    await writeStackState(request.stateDir, { version: 1, target: 'embedded', startedAt: existing?.startedAt ?? new Date().toISOString(), region: EMBEDDED_REGION, services, resources, controlToken })
    stack?.detach()
    return { target: 'embedded', alreadyRunning: Boolean(running), services, resources }
  } catch (error) {
    await stack?.stop()
    throw error
  } finally {
    clients.destroy()
  }
}

/**
 * The LocalStack to provision: the one at the given or recorded endpoint when it answers; else,
 * when no endpoint was given, one started through testcontainers if a Docker engine is reachable.
 */
async function reachOrStartLocalStack(request: StackRequest, log: (line: string) => void): Promise<string> {
  const endpoint = await localStackEndpoint(request)
  if (await isReachable(endpoint)) return endpoint
  // An address the user chose is not replaced by a container: resolveTarget says nothing answers there.
  if (chosenEndpoint(request)) return endpoint
  const reason = await dockerUnavailableReason()
  if (reason) throw noDockerError(endpoint, reason)
  const record = await startLocalStackContainer(request.stateDir, log)
  log(`LocalStack ${record.containerId.slice(0, 12)} is up at ${record.endpoint}; \`fraudlab stack down --target localstack\` stops it.`)
  return record.endpoint
}

export interface ServiceStatus extends ServiceRecord {
  running: boolean
}

export interface ResourceStatus {
  kind: 'stream' | 'table' | 'topic'
  name: string
  status: string
  detail: string
}

export interface StackStatusResult {
  running: boolean
  stateFile: string
  startedAt?: string
  services: ServiceStatus[]
  resources: ResourceStatus[]
  /** The run using the stack's streams and tables now, if any. */
  inUseBy?: RunLockHolder
}

/** Reports each service of the recorded embedded stack and the state of its resources. */
export async function stackStatus(stateDir: string): Promise<StackStatusResult> {
  const state = await readStackState(stateDir)
  const stateFile = join(stateDir, 'stack.json')
  if (!state) return { running: false, stateFile, services: [], resources: [] }
  const services = state.services.map((service) => ({ ...service, running: isOurEmulator(service.pid) }))
  const running = services.every((service) => service.running)
  if (!running) return { running, stateFile, startedAt: state.startedAt, services, resources: [] }
  const clients = createAwsClients(embeddedEndpoints(state.services))
  try {
    const [resources, inUseBy] = await Promise.all([describeResources(clients, state.resources), currentRunLock(clients.dynamodb, state.resources.names).catch(() => undefined)])
    return { running, stateFile, startedAt: state.startedAt, services, resources, inUseBy }
  } finally {
    clients.destroy()
  }
}

async function describeResources(clients: AwsClients, resources: ProvisionedResources): Promise<ResourceStatus[]> {
  const { names } = resources
  const missing = (kind: ResourceStatus['kind'], name: string) => (error: Error): ResourceStatus => ({ kind, name, status: 'MISSING', detail: error.name })
  return Promise.all([
    ...[names.transactionsStream, names.decisionsStream].map((name) =>
      clients.kinesis
        .send(new DescribeStreamSummaryCommand({ StreamName: name }))
        .then(({ StreamDescriptionSummary: s }): ResourceStatus => ({ kind: 'stream', name, status: s?.StreamStatus ?? '?', detail: `${s?.OpenShardCount} shards` }))
        .catch(missing('stream', name)),
    ),
    ...[names.blockListTable, names.leaseTable].map((name) =>
      clients.dynamodb
        .send(new DescribeTableCommand({ TableName: name }))
        .then(({ Table: t }): ResourceStatus => ({ kind: 'table', name, status: t?.TableStatus ?? '?', detail: `${t?.ItemCount ?? 0} items` }))
        .catch(missing('table', name)),
    ),
    clients.sns
      .send(new GetTopicAttributesCommand({ TopicArn: resources.alertsTopicArn }))
      .then(({ Attributes: a }): ResourceStatus => ({ kind: 'topic', name: names.alertsTopic, status: 'ACTIVE', detail: `${a?.SubscriptionsConfirmed ?? 0} subscriptions` }))
      .catch(missing('topic', names.alertsTopic)),
  ])
}

/** Stops the processes `stack up` recorded, and nothing else. */
export async function stackDown(request: Pick<StackRequest, 'target' | 'stateDir'>): Promise<{ stopped: ServiceRecord[]; stateFile: string }> {
  if (request.target !== 'embedded') throw new Error(`stackDown is for the embedded stack, not ${request.target}`)
  const state = await readStackState(request.stateDir)
  const stateFile = join(request.stateDir, 'stack.json')
  if (!state) return { stopped: [], stateFile }
  const stopped = await stopRecordedServices(state.services)
  await removeStackState(request.stateDir)
  return { stopped, stateFile }
}

/** `stack down --target localstack`: stops the LocalStack container `stack up` started, and only that. */
export async function localStackDown(stateDir: string): Promise<LocalStackRecord> {
  const stopped = await stopLocalStackContainer(stateDir)
  if (stopped) return stopped
  throw new UserError(`fraudlab started no LocalStack (none is recorded in ${stateDir}), and leaves one it did not start as it is.`, {
    hint: 'Stop LocalStack the way you started it (for example `docker compose -f localstack/docker-compose.yml down`).',
  })
}

export interface AwsStackDownResult {
  region: string
  account: string
  plan: TeardownPlan
  deleted: FoundResource[]
}

/**
 * `stack down --target aws`: finds what fraudlab created under the prefix (by its tags, never by
 * name alone), shows it, and deletes it only once confirmed (`--yes`, or a yes at the prompt).
 */
export async function awsStackDown(
  request: { prefix: string; region?: string; profile?: string; yes: boolean },
  log: (line: string) => void,
  confirm: (question: string) => Promise<boolean>,
): Promise<AwsStackDownResult> {
  const settings = await resolveAwsSettings(request)
  const { region, profile } = settings
  const identity = await checkCredentials(settings)
  const clients = createAwsClients({ target: 'aws', region, profile })
  try {
    const plan = await planTeardown(clients, request.prefix)
    log(`AWS account ${identity.account} in ${region}, prefix ${request.prefix}:`)
    for (const r of plan.managed) log(`  delete ${r.kind} ${r.name}`)
    for (const r of plan.leftAlone) log(`  keep   ${r.kind} ${r.name} (not tagged ${MANAGED_TAG}=true, ${PREFIX_TAG}=${request.prefix}: fraudlab did not create it)`)
    if (plan.managed.length === 0) {
      log('  nothing fraudlab created is left')
      return { region, account: identity.account, plan, deleted: [] }
    }
    const question = `Delete these ${plan.managed.length} resources?`
    if (!request.yes && !(await confirm(question))) {
      throw new UserError('Nothing was deleted on AWS.', { hint: 'Review the list above, then run the same command with --yes (or answer y).', exitCode: 1 })
    }
    const deleted = await deleteManaged(clients, plan)
    for (const r of deleted) log(`  deleted ${r.kind} ${r.name}`)
    return { region, account: identity.account, plan, deleted }
  } finally {
    clients.destroy()
  }
}
