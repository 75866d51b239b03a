import { DecisionCollector } from '../collector/decision-collector.js'
import { EffectsObserver } from '../collector/effects-observer.js'
import type { RunLedger } from '../collector/run-ledger.js'
import { ScorerGroup, type LeaseSnapshot } from '../scorer/scorer-group.js'
import { COLLECTOR_CONSUMER_NAME, SCORER_CONSUMER_NAME } from '../stream/consumer-names.js'
import { LeaseTable } from '../stream/lease-table.js'
import { managedConsumerTags } from '../stack/provision.js'
import type { FaultPlan } from '../stack/fault-plan.js'
import { isUserStream, type ResourceNames, type RunResourceNames } from '../stack/resource-names.js'
import { deregisterRunConsumers, type FanOutConsumer } from '../stack/fan-out-consumers.js'
import type { ResolvedTarget } from '../stack/targets.js'
import { alertObserver, type AlertObserver } from './alert-observer.js'
import type { ProvisionedRun } from './provision-run.js'
import { once, type RunResources } from './run-resources.js'

export interface PipelineStartSettings {
  runId: string
  names: RunResourceNames
  /** `external`: the user's scorer consumes the stream; fraudlab starts none and only observes. */
  scorer: ScorerChoice
  /** What fraudlab reads to learn the decisions: the decisions stream, or the effects alone. */
  observe: ObserveChoice
  /** How fraudlab's scorer reads the transactions: polling, or enhanced fan-out. */
  consumer: ConsumerChoice
  /** fraudlab's scorer processes, sharing the shards by lease. */
  scorers: number
  /** How long a lease may go unrenewed before another scorer takes it. */
  leaseFailoverMs: number
  /** How the collector reads the decisions stream: polling, or enhanced fan-out. */
  collectorConsumer: ConsumerChoice
  model: string
  shadowModel?: string
  featuresLogPath?: string
  warmupPath?: string
  pollIntervalMs: number
  /** The decisions collector's GetRecords spacing per shard (the scorer's is pollIntervalMs). */
  collectorPollIntervalMs: number
  checkpointIntervalMs: number
  faultPlan: FaultPlan
}

/** The stream consumers a run registers for enhanced fan-out: the scorer's and the collector's, as chosen. */
export function fanOutConsumersOf(names: ResourceNames, settings: Pick<PipelineStartSettings, 'scorer' | 'observe' | 'consumer' | 'collectorConsumer'>): FanOutConsumer[] {
  return [
    ...(settings.scorer === 'fraudlab' && settings.consumer === 'efo' ? [{ stream: names.transactionsStream, name: SCORER_CONSUMER_NAME }] : []),
    ...(settings.observe === 'decisions' && settings.collectorConsumer === 'efo' ? [{ stream: names.decisionsStream, name: COLLECTOR_CONSUMER_NAME }] : []),
  ]
}

/** The consumers of a running pipeline: the scorer process, the decisions collector and the alerts endpoint. */
export type ScorerChoice = 'fraudlab' | 'external'
export type ObserveChoice = 'decisions' | 'effects'
export type ConsumerChoice = 'polling' | 'efo'

export interface RunningPipeline {
  /** fraudlab's own scorer processes; absent with an external scorer. */
  scorers?: ScorerGroup
  /** Reads the decisions stream; absent when only effects are observed. */
  collector?: DecisionCollector
  /** Takes alerts and BlockList items for the decisions, with `--observe effects`. */
  effects?: EffectsObserver
  /** Alerts as they arrive: over HTTP from the embedded SNS, through an SQS queue elsewhere. */
  alerts?: AlertObserver
  /** Ends `--inject scorer.crash` (the load is over). */
  stopCrashing(): void
  /** Who holds each shard's lease now, against the scorers running (undefined with an external scorer). */
  leases(): Promise<LeaseSnapshot | undefined>
  /** Stops the scorer (it finishes its batch and checkpoints), then the collector and the alerts endpoint. Idempotent. */
  stop(): Promise<void>
}

/**
 * Phase 4: the collector takes its position at the tip of the decisions stream before any load,
 * the alerts endpoint subscribes (embedded stack), and the scorer starts in its own process.
 */
export async function startPipeline(
  target: ResolvedTarget,
  provisioned: ProvisionedRun,
  ledger: RunLedger,
  settings: PipelineStartSettings,
  resources: RunResources,
  onFatal: (error: Error) => void,
): Promise<RunningPipeline> {
  const { clients } = provisioned
  // Released after the consumers stop (releases run newest first).
  const onUserStreams = fanOutConsumersOf(settings.names, settings).filter(({ stream }) => isUserStream(settings.names, stream))
  if (onUserStreams.length) resources.onRelease(() => deregisterRunConsumers(clients.kinesis, onUserStreams, settings.names.prefix))
  // Effects only: no decisions stream is read; alerts and BlockList items are the decisions.
  const effects = settings.observe === 'effects' ? new EffectsObserver(ledger, clients.dynamodb, settings.names.blockListTable) : undefined
  const collectorFanOut = settings.collectorConsumer === 'efo' ? { endpoints: target.endpoints, consumerTags: managedConsumerTags(settings.names) } : undefined
  const collector = effects ? undefined : new DecisionCollector(clients.kinesis, settings.names.decisionsStream, ledger, { pollIntervalMs: settings.collectorPollIntervalMs, fanOut: collectorFanOut })
  await collector?.prepare()
  collector?.start()
  let alerts: AlertObserver | undefined
  const scorers = settings.scorer === 'external' ? undefined : new ScorerGroup({
    endpoints: target.endpoints,
    names: settings.names,
    alertsTopicArn: provisioned.resources.alertsTopicArn,
    pollIntervalMs: settings.pollIntervalMs,
    consumer: settings.consumer,
    checkpointIntervalMs: settings.checkpointIntervalMs,
    consumerName: SCORER_CONSUMER_NAME,
    consumerTags: managedConsumerTags(settings.names),
    scorerId: `${settings.runId}-scorer`,
    leaseFailoverMs: settings.leaseFailoverMs,
    model: settings.model,
    shadowModel: settings.shadowModel,
    featuresLogPath: settings.featuresLogPath,
    warmupPath: settings.warmupPath,
  }, settings.scorers)
  const stop = once(async () => {
    stopCrashing()
    await scorers?.stop().catch(() => undefined)
    await collector?.stop().catch(() => undefined)
    await alerts?.stop().catch(() => undefined)
  })
  let crashTimer: NodeJS.Timeout | undefined
  const stopCrashing = () => clearInterval(crashTimer)
  resources.onRelease(stop)

  alerts = alertObserver(target, clients, provisioned.resources.alertsTopicArn, settings.names, settings.runId, effects ?? ledger)
  await alerts.start()
  if (scorers) {
    scorers.onFatal(onFatal)
    await scorers.start()
    const everyMs = settings.faultPlan.scorerCrashEveryMs
    if (everyMs) crashTimer = setInterval(() => scorers.crash(), everyMs)
  }
  const leases = async () => scorers?.leases(new LeaseTable(clients.dynamodb, settings.names.leaseTable, { consumerName: SCORER_CONSUMER_NAME, stream: settings.names.transactionsStream }))
  return { scorers, collector, effects, alerts, stopCrashing, leases, stop }
}
