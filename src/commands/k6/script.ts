import { Flags } from '@oclif/core'
import { FraudlabCommand } from '../../cli/base-command.js'
import { k6LoadFlags } from '../../cli/flags.js'
import { writeK6Test } from '../../k6/write-k6-test.js'
import { planRun } from '../../run/run-plan.js'

export default class K6Script extends FraudlabCommand {
  static override summary = 'Write a k6 test that plays a scenario against `fraudlab serve`.'
  static override description =
    'The script uses a SharedArray of pre-generated labelled transactions (in FILE.data.json beside it; only the transaction is sent; ' +
    'with --batch, the requests\' bodies are in FILE.bodies and FILE.data.json says where each is, with its labels), ' +
    "an arrival-rate executor with the scenario's rate profile, and the scenario's thresholds as k6 thresholds. It counts true and false positives from the responses."
  static override examples = ['<%= config.bin %> k6 script --scenario card-testing --out load/card-testing.js', '<%= config.bin %> k6 script --tps 5000 --duration 30s --batch 10 --out k6/batch.js']
  static override flags = {
    ...k6LoadFlags,
    out: Flags.string({ description: 'Where to write the script (its data file goes beside it).', required: true, helpValue: '<file.js>' }),
    url: Flags.string({ description: 'Default base URL of the server (k6 -e FRAUDLAB_URL=… overrides it).', default: 'http://127.0.0.1:8080', helpValue: '<url>' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(K6Script)
    const plan = planRun(flags.scenario, { tps: flags.tps, durationMs: flags.duration, seed: flags.seed })
    const written = await writeK6Test(plan, flags.out, { batchSize: flags.batch, defaultUrl: flags.url })
    this.log(`wrote ${written.script}, ${written.data}${written.bodies ? ` and ${written.bodies}` : ''} (${written.rows} transactions, ${written.frauds} fraudulent)`)
  }
}
