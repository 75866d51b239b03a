import { Flags } from '@oclif/core'
import type { TargetName } from '../aws/endpoints.js'
import { FraudlabCommand } from '../cli/base-command.js'
import { durationFlag, integerFlag, ratioFlag, shardsFlag, targetFlags } from '../cli/flags.js'
import { renderTerminalSummary } from '../report/terminal-summary.js'
import { simulate } from '../run/simulate-run.js'

export default class Simulate extends FraudlabCommand {
  static override summary = 'Run a labelled fraud scenario through the pipeline and report latency and precision/recall.'
  static override description =
    'Generates normal customers plus PaySim-style account takeovers at a constant arrival rate (open model), sends them ' +
    'to Kinesis, lets the scorer (its own process) block, alert and decide, and reconciles every transaction it sent. ' +
    'Starts an embedded stack for the run when none is running. Writes reports/<run-id>/summary.json.'

  static override examples = [
    '<%= config.bin %> simulate --tps 200 --duration 20s',
    '<%= config.bin %> simulate --tps 1000 --count 50000 --seed 7 --json > summary.json',
    '<%= config.bin %> simulate --target localstack --endpoint http://localhost:4566',
  ]

  static override flags = {
    tps: integerFlag({ name: 'tps', description: 'Offered load: transactions per second (constant arrival rate).', min: 1, max: 100_000, default: 200 }),
    duration: durationFlag({ name: 'duration', description: 'How long to offer load (default 20s unless --count is given).', maxMs: 24 * 3_600_000 }),
    count: integerFlag({ name: 'count', description: 'Send exactly this many transactions (instead of --duration).', min: 1, max: 100_000_000 }),
    seed: integerFlag({ name: 'seed', description: 'Seed of the scenario: the same seed gives the same transactions.', min: 0, max: 2 ** 32 - 1, default: 42 }),
    'fraud-share': ratioFlag({ name: 'fraud-share', description: 'Approximate share of fraudulent transactions.', default: 0.01 }),
    shards: shardsFlag,
    ...targetFlags,
    'poll-interval': durationFlag({ name: 'poll-interval', description: 'How long the scorer waits after an empty GetRecords.', default: '50ms', maxMs: 60_000 }),
    'checkpoint-interval': durationFlag({ name: 'checkpoint-interval', description: "How often the scorer saves each shard's position.", default: '1s', maxMs: 3_600_000 }),
    'drain-timeout': durationFlag({ name: 'drain-timeout', description: 'How long to wait for the last decisions after the load ends.', default: '30s', maxMs: 3_600_000 }),
    'reports-dir': Flags.string({ description: 'Where run reports are written.', default: 'reports', helpValue: '<dir>' }),
    json: Flags.boolean({ description: 'Print the run summary as JSON on stdout and nothing else there.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Simulate)
    const interrupt = new AbortController()
    const hardStop = new AbortController()
    const onSigint = () => {
      if (!interrupt.signal.aborted) {
        this.progress('Stopping the load; draining and writing the report (Ctrl-C again to skip the drain).')
        interrupt.abort()
      } else hardStop.abort()
    }
    process.on('SIGINT', onSigint)
    try {
      const { summary, reportDir } = await simulate({
        target: flags.target as TargetName,
        endpoint: flags.endpoint,
        region: flags.region,
        prefix: flags.prefix,
        yes: flags.yes,
        stateDir: flags['state-dir'],
        reportsDir: flags['reports-dir'],
        tps: flags.tps,
        durationMs: flags.duration ?? (flags.count === undefined ? 20_000 : undefined),
        count: flags.count,
        seed: flags.seed,
        shards: flags.shards,
        fraudShare: flags['fraud-share'],
        pollIntervalMs: flags['poll-interval'],
        checkpointIntervalMs: flags['checkpoint-interval'],
        drainTimeoutMs: flags['drain-timeout'],
        interrupt: interrupt.signal,
        hardStop: hardStop.signal,
        log: (line) => this.progress(line),
      })
      if (flags.json) this.printJson(summary)
      else this.log(renderTerminalSummary(summary, reportDir))
      if (summary.status === 'failed' || !summary.reconciliation.ok) process.exitCode = 1
    } finally {
      process.off('SIGINT', onSigint)
    }
  }
}
