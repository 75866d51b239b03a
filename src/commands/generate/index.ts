import { Flags } from '@oclif/core'
import { resolve } from 'node:path'
import { FraudlabCommand } from '../../cli/base-command.js'
import { integerFlag } from '../../cli/flags.js'
import { ProgressBar } from '../../cli/progress-bar.js'
import { UserError } from '../../errors/user-error.js'
import { exportLabelled, formatFromPath, type ExportFormat } from '../../export/labelled-export.js'
import { LookaheadSource } from '../../scenario/lookahead-source.js'
import { loadScenario } from '../../scenario/scenario-loader.js'
import { ScenarioSimulator } from '../../scenario/simulator.js'

export default class Generate extends FraudlabCommand {
  static override summary = 'Write a scenario’s labelled transactions to a file (NDJSON or CSV), for training and other tools.'
  static override description =
    'Generates offline, without any pipeline: the same transactions, in the same order, as `simulate` sends for the same ' +
    'scenario and seed. Each record carries its labels (isFraud, archetype, attackId).'

  static override examples = [
    '<%= config.bin %> generate --scenario mixed --count 1000000 --out data/mixed.ndjson',
    '<%= config.bin %> generate --scenario card-testing --count 50000 --out card-testing.csv --seed 7',
  ]

  static override enableJsonFlag = true

  static override flags = {
    scenario: Flags.string({ description: 'Scenario name or path to a scenario file.', required: true, helpValue: '<name|path>' }),
    count: integerFlag({ name: 'count', description: 'How many transactions to write.', min: 1, max: 1_000_000_000 }),
    out: Flags.string({ description: 'Output file; .ndjson/.jsonl or .csv.', required: true, helpValue: '<file>' }),
    format: Flags.string({ description: 'Output format (default: from the file extension).', options: ['ndjson', 'csv'] }),
    seed: integerFlag({ name: 'seed', description: "Seed (default: the scenario's).", min: 0, max: 2 ** 32 - 1 }),
  }

  async run() {
    const { flags } = await this.parse(Generate)
    if (flags.count === undefined) throw new UserError('--count is required: how many transactions to write.', { hint: 'For example --count 100000.' })
    const format = (flags.format as ExportFormat | undefined) ?? formatFromPath(flags.out)
    if (!format) throw new UserError(`Cannot tell the format of ${flags.out}.`, { hint: 'Name the file .ndjson, .jsonl or .csv, or pass --format.' })
    const { scenario, path } = loadScenario(flags.scenario)
    const seed = flags.seed ?? scenario.seed
    const source = new LookaheadSource(new ScenarioSimulator(scenario, { seed, idPrefix: 'tx' }))
    const bar = new ProgressBar(`generate ${scenario.name}`, flags.count)
    const controller = new AbortController()
    process.once('SIGINT', () => controller.abort())
    const started = performance.now()
    const result = await exportLabelled(source, {
      count: flags.count,
      path: resolve(flags.out),
      format,
      signal: controller.signal,
      onProgress: (p) => bar.update(p.written, `${p.fraud} fraud`),
    })
    const seconds = (performance.now() - started) / 1000
    bar.finish(result.written, `${result.fraud} fraud`)
    if (controller.signal.aborted) throw new UserError(`Interrupted after ${result.written} transactions; ${flags.out} was not written.`, { exitCode: 130 })
    const summary = { scenario: scenario.name, scenarioPath: path, seed, format, out: resolve(flags.out), written: result.written, fraud: result.fraud, seconds: Math.round(seconds * 1000) / 1000, ratePerSec: Math.round(result.written / seconds) }
    this.log(`Wrote ${summary.written} transactions (${summary.fraud} fraud) to ${summary.out} in ${summary.seconds}s (${summary.ratePerSec}/s).`)
    return summary
  }
}
