import { Args, Flags } from '@oclif/core'
import { FraudlabCommand } from '../../cli/base-command.js'
import { UserError } from '../../errors/user-error.js'
import { compareSummaries, DEFAULT_TOLERANCES, differencesBetween, renderComparison, renderComparisonJunit, renderComparisonMarkdown, type ComparisonContext } from '../../report/compare.js'
import { readReport, resolveReportFolder } from '../../report/read-report.js'
import { THRESHOLDS_CROSSED_EXIT_CODE } from '../../report/thresholds.js'

export default class ReportCompare extends FraudlabCommand {
  static override summary = 'Compare a run with a baseline; exit 99 on a regression beyond tolerance.'
  static override description =
    'Prints each metric side by side (latency percentiles per stage, throughput, precision, recall, PR-AUC, time to detect, losses, per archetype). ' +
    'Latencies and throughput may move by --tolerance (relative), quality ratios by --quality-tolerance (absolute); lost, failed and dropped transactions must not grow. ' +
    'Runs of another scenario, offered rate, target or status are refused (exit 2) unless --force.\n\n' +
    'Exit codes: 0 no regression; 2 not comparable (or a usage error); 99 a regression beyond tolerance.'
  static override examples = [
    '<%= config.bin %> report compare reports/BASELINE-RUN reports/CURRENT-RUN',
    '<%= config.bin %> report compare baseline/summary.json latest --tolerance 0.2',
    '<%= config.bin %> report compare baseline latest --format markdown >> "$GITHUB_STEP_SUMMARY"',
    '<%= config.bin %> report compare baseline latest --format junit > compare.xml',
  ]
  static override args = {
    baseline: Args.string({ description: 'Baseline report: a folder, its summary.json, a run id, or latest.', required: true }),
    current: Args.string({ description: 'Current report, named the same ways.', required: true }),
  }
  static override enableJsonFlag = true

  static override flags = {
    tolerance: Flags.string({ description: 'Relative change allowed for latencies and throughput (0.1 or 10%).', default: '10%' }),
    'quality-tolerance': Flags.string({ description: 'Absolute change allowed for precision, recall, F1 and PR-AUC.', default: String(DEFAULT_TOLERANCES.quality) }),
    'reports-dir': Flags.string({ description: 'Where run ids are looked up.', default: 'reports', helpValue: '<dir>' }),
    format: Flags.string({ description: 'How to print the comparison: a text table, JSON, Markdown (a pull-request comment or a job summary) or JUnit XML (one test case per metric).', options: ['text', 'json', 'markdown', 'junit'], default: 'text' }),
    force: Flags.boolean({ description: 'Compare runs of another scenario, rate, target or status anyway (the output says what differs).', default: false }),
  }

  async run() {
    const { args, flags } = await this.parse(ReportCompare)
    const tolerances = { relative: fraction(flags.tolerance, '--tolerance'), quality: fraction(flags['quality-tolerance'], '--quality-tolerance') }
    const baseline = readReport(resolveReportFolder(args.baseline, flags['reports-dir'])).summary
    const current = readReport(resolveReportFolder(args.current, flags['reports-dir'])).summary
    const differences = differencesBetween(baseline, current)
    if (differences.length && !flags.force) {
      throw new UserError(`${baseline.runId} and ${current.runId} are not comparable: ${differences.join('; ')}.`, {
        hint: 'Compare runs of the same scenario, rate, target and status, or pass --force to compare them anyway.',
      })
    }
    const rows = compareSummaries(baseline, current, tolerances)
    const regressions = rows.filter((row) => row.regression)
    const context: ComparisonContext = { baseline, current, rows, tolerances, forced: differences }
    const result = { baseline: baseline.runId, current: current.runId, tolerances, comparedDespite: differences, regressions: regressions.length, metrics: rows }
    if (regressions.length) process.exitCode = THRESHOLDS_CROSSED_EXIT_CODE
    if (this.jsonEnabled()) return result
    if (flags.format === 'json') this.log(JSON.stringify(result, null, 2))
    else if (flags.format === 'markdown') this.log(renderComparisonMarkdown(context))
    else if (flags.format === 'junit') this.log(renderComparisonJunit(context))
    else this.log(renderComparison(context))
    return result
  }
}

function fraction(text: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text)
  const value = match ? Number(match[1]) / (match[2] ? 100 : 1) : NaN
  if (!Number.isFinite(value) || value < 0) {
    throw new UserError(`${flag} must be a non-negative number or percentage, not "${text}".`, { hint: `Write ${flag} 0.1 or ${flag} 10%.` })
  }
  return value
}
