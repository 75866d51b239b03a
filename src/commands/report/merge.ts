import { Args, Flags } from '@oclif/core'
import { FraudlabCommand } from '../../cli/base-command.js'
import { mergeReports } from '../../report/merge.js'
import type { RunSummary } from '../../report/summary-schema.js'
import { resolveReportFolder } from '../../report/read-report.js'
import { renderTerminalSummary } from '../../report/terminal-summary.js'
import { THRESHOLDS_CROSSED_EXIT_CODE } from '../../report/thresholds.js'
import { newRunId } from '../../util/run-id.js'

export default class ReportMerge extends FraudlabCommand {
  static override summary = 'Merge reports of runs made at the same time on several hosts or processes into one.'
  static override description =
    'Counts add up, HDR histograms merge exactly, timelines line up on the clock, PR-AUC is recomputed from the decision logs and every run’s thresholds are evaluated on the whole (exit 99 if one is crossed).'
  static override examples = ['<%= config.bin %> report merge host-a/reports/RUN-A host-b/reports/RUN-B']
  static override strict = false
  static override args = { runs: Args.string({ description: 'Reports to merge: folders, summary.json files or run ids.', required: true }) }
  static override enableJsonFlag = true

  static override flags = {
    'reports-dir': Flags.string({ description: 'Where run ids are looked up and the merged report is written.', default: 'reports', helpValue: '<dir>' }),
  }

  async run(): Promise<RunSummary> {
    const { argv, flags } = await this.parse(ReportMerge)
    const folders = (argv as string[]).map((name) => resolveReportFolder(name, flags['reports-dir']))
    const { summary, folder } = await mergeReports(folders, flags['reports-dir'], `${newRunId()}-merged`)
    this.log(renderTerminalSummary(summary, folder))
    if (summary.thresholds.some((t) => !t.ok)) process.exitCode = THRESHOLDS_CROSSED_EXIT_CODE
    return summary
  }
}
