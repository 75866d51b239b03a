import { FraudlabCommand } from '../../cli/base-command.js'
import { targetFlags } from '../../cli/flags.js'
import { stackStatus } from '../../stack/stack-service.js'

export default class StackStatus extends FraudlabCommand {
  static override summary = 'Show each service of the embedded stack, its endpoint, and its resources.'
  static override examples = ['<%= config.bin %> stack status', '<%= config.bin %> stack status --json']
  static override enableJsonFlag = true

  static override flags = {
    'state-dir': targetFlags['state-dir'],
  }

  async run() {
    const { flags } = await this.parse(StackStatus)
    const status = await stackStatus(flags['state-dir'])
    if (status.services.length === 0) {
      this.log(`No embedded stack is recorded in ${status.stateFile}. Start one with: fraudlab stack up`)
      return status
    }
    this.log(`Embedded stack ${status.running ? 'running' : 'NOT fully running'} (since ${status.startedAt})`)
    for (const s of status.services) this.log(`  ${s.implementation.padEnd(13)} ${s.endpoint.padEnd(24)} pid ${String(s.pid).padEnd(8)} ${s.running ? 'up' : 'DOWN'}`)
    for (const r of status.resources) this.log(`  ${r.kind.padEnd(7)} ${r.name.padEnd(26)} ${r.status.padEnd(8)} ${r.detail}`)
    if (status.inUseBy) {
      const run = status.inUseBy
      this.log(`In use by run ${run.runId} (${run.command}, pid ${run.pid} on ${run.host}, since ${run.startedAt}).`)
    } else if (status.running) this.log('No run is using it.')
    if (!status.running) this.log('Run `fraudlab stack down` then `fraudlab stack up` to start it again.')
    return status
  }
}
