import { Flags } from '@oclif/core'
import { FraudlabCommand } from '../../cli/base-command.js'
import { k6LoadFlags, modelFlag } from '../../cli/flags.js'
import { findK6 } from '../../k6/find-k6.js'
import { k6RunThresholds, runK6 } from '../../k6/k6-run.js'
import type { RunSummary } from '../../report/summary-schema.js'
import { renderTerminalSummary } from '../../report/terminal-summary.js'
import { THRESHOLDS_CROSSED_EXIT_CODE } from '../../report/thresholds.js'
import { planRun } from '../../run/run-plan.js'
import { checkModel } from '../../decision/check-model.js'

export default class K6Run extends FraudlabCommand {
  static override summary = 'Load-test `fraudlab serve` with k6 from a scenario, and report latency and precision/recall.'
  static override description =
    'Finds k6 (K6_BINARY, then PATH), writes the scenario’s k6 test into the report folder, starts `fraudlab serve` unless --target-url is given, runs k6, ' +
    "and turns k6's summary into a fraudlab report (latency from k6, precision/recall from the responses). A crossed threshold exits 99, after the report is written."
  static override examples = ['<%= config.bin %> k6 run --scenario card-testing --tps 500 --duration 30s', '<%= config.bin %> k6 run --scenario mixed --target-url http://scorer.internal:8080 --batch 10']
  static override enableJsonFlag = true

  static override flags = {
    ...k6LoadFlags,
    'target-url': Flags.string({ description: 'A running scoring server (default: start `fraudlab serve` for the run).', helpValue: '<url>' }),
    model: modelFlag,
    threshold: Flags.string({ description: 'Fail (exit 99, after the report) unless this holds, as for simulate. Repeatable.', multiple: true, helpValue: '<metric op value>' }),
    'reports-dir': Flags.string({ description: 'Where run reports are written.', default: 'reports', helpValue: '<dir>' }),
  }

  async run(): Promise<RunSummary> {
    const { flags } = await this.parse(K6Run)
    const k6 = findK6()
    const plan = planRun(flags.scenario, { tps: flags.tps, durationMs: flags.duration, seed: flags.seed })
    const thresholds = k6RunThresholds(plan, flags.threshold ?? [])
    if (!flags['target-url']) await checkModel(flags.model)
    const interrupt = new AbortController()
    const onSigint = () => interrupt.abort()
    process.on('SIGINT', onSigint)
    try {
      const { summary, reportDir, k6ExitCode } = await runK6({ plan, k6, targetUrl: flags['target-url'], model: flags.model, batchSize: flags.batch, reportsDir: flags['reports-dir'], thresholds, output: process.stderr, signal: interrupt.signal })
      this.log(renderTerminalSummary(summary, reportDir))
      if (k6ExitCode !== 0 && k6ExitCode !== THRESHOLDS_CROSSED_EXIT_CODE) this.progress(`k6 exited with code ${k6ExitCode}; its output is above.`)
      if (summary.thresholds.some((t) => !t.ok) || k6ExitCode === THRESHOLDS_CROSSED_EXIT_CODE) process.exitCode = THRESHOLDS_CROSSED_EXIT_CODE
      else if (!summary.reconciliation.ok || k6ExitCode !== 0) process.exitCode = 1
      return summary
    } finally {
      process.off('SIGINT', onSigint)
    }
  }
}
