import { reportFolder } from '../report/write-report.js'
import { createAwsClients, type AwsClients } from '../stack/aws-clients.js'
import type { FaultPlan } from '../stack/fault-plan.js'
import { provision, type ProvisionedResources } from '../stack/provision.js'
import type { ResourceNames } from '../stack/resource-names.js'
import { shardCapacityWarning } from '../stack/shard-capacity.js'
import type { FanOutConsumer } from '../stack/fan-out-consumers.js'
import { resolveTarget, type ResolvedTarget, type TargetSelection } from '../stack/targets.js'
import { makeDirectory } from '../util/writable-path.js'
import { applyEmulatorFaults } from './fault-injection.js'
import { acquireRunLock, type HeldRunLock } from '../stack/run-lock.js'
import type { RunResources } from './run-resources.js'

export interface RunTargetRequest extends TargetSelection {
  shards: number
  decisionShards: number
  offeredRatePerSec: number
  fanOutConsumers: FanOutConsumer[]
}

/** Phase 2: the target's endpoints, starting an embedded stack for the run if none runs (released with the run). */
export async function resolveRunTarget(request: RunTargetRequest, names: ResourceNames, resources: RunResources, log: (line: string) => void): Promise<ResolvedTarget> {
  const target = await resolveTarget(
    { target: request.target, endpoint: request.endpoint, region: request.region, stateDir: request.stateDir, yes: request.yes, names, transactionShards: request.shards, decisionShards: request.decisionShards, offeredTps: request.offeredRatePerSec, fanOutConsumers: request.fanOutConsumers },
    log,
  )
  if (target.ownedStack) {
    const stack = target.ownedStack
    resources.onRelease(() => stack.stop())
  }
  return target
}

/** Created once the run can start (the model and target are good), so a refused run leaves no folder. */
export async function createReportFolder(reportsDir: string, runId: string): Promise<string> {
  const folder = reportFolder(reportsDir, runId)
  await makeDirectory(folder, { what: 'The report folder', hint: 'Choose a folder you can write to with --reports-dir.' })
  return folder
}

export interface ProvisionedRun {
  clients: AwsClients
  resources: ProvisionedResources
  /** Warnings for the log and the report's notes. */
  notes: string[]
  /** This run's hold on the streams and tables (released with the run). */
  lock: HeldRunLock
}

/**
 * Phase 3: streams, tables and topic (created when missing), the run's lock on them (a second run
 * on the same prefix is refused before it touches anything), and on the embedded stack this run's
 * limits and faults.
 */
export async function provisionRun(
  target: ResolvedTarget,
  request: { runId: string; command: string; names: ResourceNames; shards: number; decisionShards: number; offeredRatePerSec: number; kinesisLimits: boolean; aggregate: boolean; faultPlan: FaultPlan; seed: number; segmentGroup?: string },
  resources: RunResources,
): Promise<ProvisionedRun> {
  const clients = createAwsClients(target.endpoints)
  resources.onRelease(() => clients.destroy())
  const provisioned = await provision(clients, { names: request.names, transactionShards: request.shards, decisionShards: request.decisionShards })
  const lock = await acquireRunLock(clients.dynamodb, request.names, { runId: request.runId, command: request.command, where: target.description, segmentGroup: request.segmentGroup })
  resources.onRelease(() => lock.release())
  const embedded = target.endpoints.target === 'embedded'
  const notes: string[] = []
  const capacity = !embedded || request.kinesisLimits ? shardCapacityWarning(request.offeredRatePerSec, provisioned.transactionShards, { aggregated: request.aggregate }) : undefined
  if (capacity) notes.push(capacity)
  if (embedded) await applyEmulatorFaults(target, request.faultPlan, request.kinesisLimits, request.seed)
  return { clients, resources: provisioned, notes, lock }
}
