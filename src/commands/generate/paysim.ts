import { Flags } from '@oclif/core'
import { resolve } from 'node:path'
import { FraudlabCommand } from '../../cli/base-command.js'
import { integerFlag } from '../../cli/flags.js'
import { ProgressBar } from '../../cli/progress-bar.js'
import { PaysimGenerator } from '../../dataset/paysim-generator.js'
import { UserError } from '../../errors/user-error.js'

export default class GeneratePaysim extends FraudlabCommand {
  static override summary = 'Write a PaySim-format CSV of any size with PaySim’s mechanics and statistics.'
  static override description =
    'The type mix, fraud rates, median amounts and balance quirks of the real 6.3M-row file (README: "PaySim generator"), ' +
    'sorted by step over 744 hourly steps. Ends in .gz for gzip. Replay it with `fraudlab replay paysim`.'

  static override examples = ['<%= config.bin %> generate paysim --rows 1000000 --out paysim-1m.csv', '<%= config.bin %> generate paysim --rows 6362620 --out paysim-full.csv.gz --seed 7']

  static override enableJsonFlag = true

  static override flags = {
    rows: integerFlag({ name: 'rows', description: 'How many rows to write.', min: 1, max: 1_000_000_000 }),
    out: Flags.string({ description: 'Output CSV file (.csv or .csv.gz).', required: true, helpValue: '<file>' }),
    seed: integerFlag({ name: 'seed', description: 'Seed: the same seed and row count give the same file.', min: 0, max: 2 ** 32 - 1, default: 1 }),
  }

  async run() {
    const { flags } = await this.parse(GeneratePaysim)
    if (flags.rows === undefined) throw new UserError('--rows is required: how many rows to write.', { hint: 'The real file has 6,362,620 rows.' })
    const out = resolve(flags.out)
    const generator = new PaysimGenerator(flags.rows, flags.seed)
    const bar = new ProgressBar('generate paysim', flags.rows)
    const controller = new AbortController()
    process.once('SIGINT', () => controller.abort())
    const started = performance.now()
    const written = await generator.writeTo(out, (n) => bar.update(n), controller.signal).catch((error: NodeJS.ErrnoException) => {
      throw new UserError(`Cannot write ${out}: ${error.code ?? error.message}.`, { hint: 'Check the folder is writable.' })
    })
    if (controller.signal.aborted) throw new UserError(`Interrupted after ${written} rows; ${out} was not written.`, { exitCode: 130 })
    bar.finish(written)
    const seconds = (performance.now() - started) / 1000
    const result = { out, rows: written, seed: flags.seed, seconds: Math.round(seconds * 1000) / 1000, rowsPerSec: Math.round(written / seconds) }
    this.log(`Wrote ${written} PaySim rows to ${out} in ${result.seconds}s (${result.rowsPerSec}/s).`)
    return result
  }
}
