import { createAwsClients } from '../../stack/aws-clients.js'
import { FraudlabCommand } from '../../cli/base-command.js'
import { consumerFlag, durationFlag, featuresLogFlag, leaseFailoverFlag, modelFlag, shadowModelFlag, shardsFlag, targetFlags, targetSelectionOf } from '../../cli/flags.js'
import { UserError } from '../../errors/user-error.js'
import { checkModel } from '../../decision/check-model.js'
import { SCORER_CONSUMER_NAME } from '../../stream/consumer-names.js'
import { ScorerService, type ScorerStats } from '../../scorer/scorer-service.js'
import { managedConsumerTags, provision } from '../../stack/provision.js'
import { resourceNames } from '../../stack/resource-names.js'
import { resolveTarget } from '../../stack/targets.js'

export default class Scorer extends FraudlabCommand {
  static override summary = 'Run the scorer alone against any target until Ctrl-C.'
  static override description =
    'Reads the shards of the transactions stream it holds a lease on, from their checkpoints, scores each transaction, ' +
    'writes blocks to the BlockList, publishes alerts and writes decisions. Several scorers (this command on several ' +
    'hosts or pods, or a run\'s --scorers) share the shards through the lease table, as Kinesis Client Library workers do: ' +
    'each takes its share, a dead one\'s shards move after --lease-failover, and Ctrl-C gives this one\'s back at once. ' +
    'Use it to score traffic from your own producer, or to run a scorer in another terminal. The embedded target needs a ' +
    'stack started with `fraudlab stack up`.'

  static override examples = ['<%= config.bin %> scorer', '<%= config.bin %> scorer --target localstack --poll-interval 1s', '<%= config.bin %> scorer --target aws --consumer efo']

  static override enableJsonFlag = true

  static override flags = {
    ...targetFlags,
    shards: shardsFlag,
    consumer: consumerFlag,
    'lease-failover': leaseFailoverFlag,
    model: modelFlag,
    'shadow-model': shadowModelFlag,
    'features-log': featuresLogFlag,
    'poll-interval': durationFlag({ name: 'poll-interval', description: 'Least time between two GetRecords calls on a shard (Kinesis allows 5 a second per shard: 200ms).', default: '200ms', maxMs: 60_000 }),
    'checkpoint-interval': durationFlag({ name: 'checkpoint-interval', description: "How often each shard's position is saved.", default: '1s', maxMs: 3_600_000 }),
    'stats-interval': durationFlag({ name: 'stats-interval', description: 'How often to print progress to stderr.', default: '5s', maxMs: 3_600_000 }),
  }

  async run(): Promise<ScorerStats> {
    const { flags } = await this.parse(Scorer)
    const names = resourceNames(flags.prefix)
    const request = {
      ...targetSelectionOf(flags),
      names,
      transactionShards: flags.shards,
      decisionShards: flags.shards,
    }
    await checkModel(flags.model)
    if (flags['shadow-model']) await checkModel(flags['shadow-model'])
    const target = await resolveTarget(request, (line) => this.progress(line))
    if (target.ownedStack) {
      await target.ownedStack.stop()
      throw new UserError('No embedded stack is running for the scorer to read.', { hint: 'Start one with `fraudlab stack up`, or pass --target.' })
    }
    const clients = createAwsClients(target.endpoints)
    const resources = await provision(clients, { names, transactionShards: flags.shards, decisionShards: flags.shards })
    const service = new ScorerService(
      {
        endpoints: target.endpoints,
        names,
        alertsTopicArn: resources.alertsTopicArn,
        pollIntervalMs: flags['poll-interval'],
        consumer: flags.consumer as 'polling' | 'efo',
        checkpointIntervalMs: flags['checkpoint-interval'],
        consumerName: SCORER_CONSUMER_NAME,
        consumerTags: managedConsumerTags(names),
        scorerId: 'scorer',
        leaseFailoverMs: flags['lease-failover'],
        model: flags.model,
        shadowModel: flags['shadow-model'],
        featuresLogPath: flags['features-log'],
      },
      { clients },
    )
    const controller = new AbortController()
    const stop = () => {
      this.progress('Stopping the scorer after the current batch…')
      controller.abort()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    this.progress(`Scoring ${names.transactionsStream} on ${target.description}. Ctrl-C to stop.`)
    const timer = setInterval(() => {
      const s = service.stats
      this.progress(`shards ${s.leases.taken - s.leases.lost - s.leases.released - s.leases.shardsEnded} · read ${s.recordsRead} · decided ${s.decisionsEmitted} · blocked ${s.blocks} · invalid ${s.invalidRecords} · throttled ${s.throttled + s.actions.throttled}`)
    }, flags['stats-interval'])
    try {
      await service.run(controller.signal)
    } finally {
      clearInterval(timer)
      await service.close()
    }
    this.log(`Scorer stopped: read ${service.stats.recordsRead}, decided ${service.stats.decisionsEmitted}, blocked ${service.stats.blocks}.`)
    return service.stats
  }
}
