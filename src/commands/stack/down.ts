import { Flags } from '@oclif/core'
import { createInterface } from 'node:readline/promises'
import type { TargetName } from '../../aws/endpoints.js'
import { FraudlabCommand } from '../../cli/base-command.js'
import { targetFlags } from '../../cli/flags.js'
import { awsStackDown, localStackDown, stackDown } from '../../stack/stack-service.js'

export default class StackDown extends FraudlabCommand {
  static override summary = 'Stop what `stack up` started (emulators, or a LocalStack container); on AWS, delete what fraudlab created (by tag), once confirmed.'
  static override description =
    'Embedded: stops the recorded emulator processes and nothing else. AWS: lists the streams, tables and topics named with --prefix, ' +
    'deletes only those tagged fraudlab-managed=true and fraudlab-prefix=PREFIX (what fraudlab created), and keeps the rest; it asks first, or takes --yes.'
  static override examples = ['<%= config.bin %> stack down', '<%= config.bin %> stack down --target aws --region eu-west-1 --prefix team-a-', '<%= config.bin %> stack down --target aws --region eu-west-1 --yes']
  static override enableJsonFlag = true

  static override flags = {
    target: targetFlags.target,
    region: targetFlags.region,
    profile: targetFlags.profile,
    prefix: targetFlags.prefix,
    yes: Flags.boolean({ description: 'With --target aws: delete without asking.', default: false }),
    'state-dir': targetFlags['state-dir'],
  }

  async run() {
    const { flags } = await this.parse(StackDown)
    if (flags.target === 'aws') {
      // The plan and its outcome are on stderr as they happen.
      return awsStackDown({ prefix: flags.prefix, region: flags.region || undefined, profile: flags.profile || undefined, yes: flags.yes }, (line) => this.progress(line), (question) => this.confirm(question))
    }
    if (flags.target === 'localstack') {
      const stopped = await localStackDown(flags['state-dir'])
      this.log(`Stopped the LocalStack container ${stopped.containerId.slice(0, 12)} (${stopped.endpoint}).`)
      return stopped
    }
    const result = await stackDown({ target: flags.target as TargetName, stateDir: flags['state-dir'] })
    if (result.stopped.length === 0) this.log(`Nothing to stop: no running embedded stack is recorded in ${result.stateFile}.`)
    for (const service of result.stopped) this.log(`Stopped ${service.implementation} (pid ${service.pid}).`)
    return result
  }

  /** Asks on the terminal; without one (CI, a pipe) the answer is no. */
  private async confirm(question: string): Promise<boolean> {
    if (!process.stdin.isTTY || !process.stderr.isTTY) return false
    const prompt = createInterface({ input: process.stdin, output: process.stderr })
    try {
      return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim())
    } finally {
      prompt.close()
    }
  }
}
