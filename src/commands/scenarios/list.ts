import { FraudlabCommand } from '../../cli/base-command.js'
import { listScenarioNames, loadScenario } from '../../scenario/scenario-loader.js'

export default class ScenariosList extends FraudlabCommand {
  static override summary = 'List the shipped scenarios with their archetypes and arrival profile.'
  static override examples = ['<%= config.bin %> scenarios list', '<%= config.bin %> scenarios list --json']
  static override enableJsonFlag = true

  static override flags = {}

  async run() {
    await this.parse(ScenariosList)
    const rows = listScenarioNames().map((name) => {
      const { scenario } = loadScenario(name)
      const arrival = scenario.arrival
      return {
        name,
        archetypes: [...new Set(scenario.fraud.map((f) => f.archetype))],
        arrival: arrival.executor === 'constant' ? `constant ${arrival.rate}/s` : arrival.executor === 'event-time' ? `event-time ×${arrival.timeScale}` : arrival.executor,
        description: scenario.description,
      }
    })
    const width = Math.max(...rows.map((r) => r.name.length))
    for (const row of rows) {
      this.log(`${row.name.padEnd(width)}  ${row.arrival.padEnd(20)} ${row.archetypes.length ? row.archetypes.join(', ') : 'no fraud'}`)
      this.log(`${' '.repeat(width)}  ${row.description}`)
    }
    return rows
  }
}
