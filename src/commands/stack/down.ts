import { Flags } from '@oclif/core'
import type { TargetName } from '../../aws/endpoints.js'
import { FraudlabCommand } from '../../cli/base-command.js'
import { targetFlags } from '../../cli/flags.js'
import { stackDown } from '../../stack/stack-service.js'

export default class StackDown extends FraudlabCommand {
  static override summary = 'Stop the processes `stack up` started, and nothing else.'
  static override examples = ['<%= config.bin %> stack down']
  static override flags = {
    target: targetFlags.target,
    'state-dir': targetFlags['state-dir'],
    json: Flags.boolean({ description: 'Print the result as JSON on stdout.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(StackDown)
    const result = await stackDown({ target: flags.target as TargetName, stateDir: flags['state-dir'] })
    if (flags.json) return this.printJson(result)
    if (result.stopped.length === 0) this.log(`Nothing to stop: no running embedded stack is recorded in ${result.stateFile}.`)
    for (const service of result.stopped) this.log(`Stopped ${service.implementation} (pid ${service.pid}).`)
  }
}
