import { Args } from '@oclif/core'
import { FraudlabCommand } from '../../cli/base-command.js'
import { describePlan, planRun } from '../../run/run-plan.js'

export default class ScenariosValidate extends FraudlabCommand {
  static override summary = 'Check a scenario file; print every problem with its file, line and field.'
  static override examples = ['<%= config.bin %> scenarios validate ./my-scenario.yaml']
  static override args = { path: Args.string({ description: 'Path to the scenario file (or a shipped name).', required: true }) }

  async run(): Promise<void> {
    const { args } = await this.parse(ScenariosValidate)
    const plan = planRun(args.path)
    this.log(`OK: ${plan.scenarioPath} is a valid scenario.`)
    this.log(describePlan(plan).join('\n'))
  }
}
