import { FraudlabCommand } from '../../cli/base-command.js'
import { shardsFlag, targetFlags, targetSelectionOf } from '../../cli/flags.js'
import { stackUp } from '../../stack/stack-service.js'

export default class StackUp extends FraudlabCommand {
  static override summary = 'Start the embedded stack (or reach LocalStack/AWS) and create streams, tables and topic.'
  static override description =
    'Embedded: starts fraudlab’s in-memory Kinesis, dynalite and the fraudlab SNS endpoint as background processes on free loopback ports, ' +
    'records them in the state file, and provisions the transactions and decisions streams, the BlockList and checkpoints ' +
    'tables and the alerts topic. Safe to run again: what exists is kept. LocalStack: provisions the one at --endpoint, AWS_ENDPOINT_URL or ' +
    'localhost:4566; when none answers and no endpoint was given, starts one with testcontainers if a Docker engine is reachable. ' +
    'AWS: prints the plan and costs, and creates only with --yes.'

  static override examples = ['<%= config.bin %> stack up', '<%= config.bin %> stack up --shards 4 --json', '<%= config.bin %> stack up --target localstack', '<%= config.bin %> stack up --target aws --region eu-west-1 --yes']

  static override enableJsonFlag = true

  static override flags = {
    shards: shardsFlag,
    ...targetFlags,
  }

  async run() {
    const { flags } = await this.parse(StackUp)
    const result = await stackUp(
      { ...targetSelectionOf(flags), shards: flags.shards },
      (line) => this.progress(line),
    )
    this.log(result.alreadyRunning ? 'Embedded stack already running.' : `Stack up (${result.target}).`)
    for (const service of result.services) this.log(`  ${service.implementation.padEnd(13)} ${service.endpoint}  pid ${service.pid}`)
    const r = result.resources
    this.log(`  streams: ${r.names.transactionsStream} (${r.transactionShards} shards), ${r.names.decisionsStream} (${r.decisionShards} shards)`)
    this.log(`  tables:  ${r.names.blockListTable}, ${r.names.leaseTable}`)
    this.log(`  topic:   ${r.alertsTopicArn}`)
    return result
  }
}
