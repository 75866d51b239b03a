import { Args } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { FraudlabCommand } from '../../cli/base-command.js'
import { describePlan, planRun } from '../../run/run-plan.js'
import type { ScenarioFile } from '../../scenario/scenario-schema.js'
import { loadScenario } from '../../scenario/scenario-loader.js'

export default class ScenariosShow extends FraudlabCommand {
  static override summary = 'Show a scenario file and the run it plans.'
  static override examples = ['<%= config.bin %> scenarios show card-testing', '<%= config.bin %> scenarios show ./my-scenario.yaml --json']
  static override args = { scenario: Args.string({ description: 'Scenario name or path.', required: true }) }
  static override enableJsonFlag = true

  static override flags = {}

  async run(): Promise<ScenarioFile> {
    const { args } = await this.parse(ScenariosShow)
    const { scenario, path } = loadScenario(args.scenario)
    if (!this.jsonEnabled()) {
      this.log(`# ${path}`)
      this.log(readFileSync(path, 'utf8').trimEnd())
      this.log('')
      this.log(describePlan(planRun(path)).join('\n'))
    }
    return scenario
  }
}
