import { AlertQueue, alertQueueName } from '../collector/alert-queue.js'
import { AlertReceiver, type AlertSink } from '../collector/alert-receiver.js'
import type { AwsClients } from '../stack/aws-clients.js'
import { managedTags } from '../stack/provision.js'
import type { ResourceNames } from '../stack/resource-names.js'
import type { ResolvedTarget } from '../stack/targets.js'

export type AlertObserver = AlertReceiver | AlertQueue

/**
 * How a run hears the alerts topic: the embedded SNS calls back over loopback; elsewhere SNS
 * cannot reach this machine, so alerts come through a queue of the run's own, tagged as fraudlab's.
 */
export function alertObserver(target: ResolvedTarget, clients: AwsClients, topicArn: string, names: ResourceNames, runId: string, sink: AlertSink): AlertObserver {
  if (target.endpoints.target === 'embedded') return new AlertReceiver(clients.sns, topicArn, sink)
  const tags = Object.fromEntries(managedTags(names).map((tag) => [tag.Key, tag.Value]))
  return new AlertQueue(clients, topicArn, alertQueueName(names.prefix, runId), tags, sink)
}
