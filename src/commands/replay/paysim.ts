import { Flags, type Interfaces } from '@oclif/core'
import { PipelineCommand, pipelineFlags } from '../../cli/run-command.js'
import { FlagValueError, integerFlag } from '../../cli/flags.js'
import { ProgressBar } from '../../cli/progress-bar.js'
import { PAYSIM_TYPES, type PaysimType } from '../../dataset/paysim-format.js'
import { UserError } from '../../errors/user-error.js'
import type { RunSummary } from '../../report/run-summary.js'
import { describeReplayPlan, planReplay, replayPaysim, type ReplayPlan, type ReplayRequest } from '../../run/replay-run.js'
import { EXIT_CODES_HELP } from '../../errors/exit-codes.js'

export default class ReplayPaysim extends PipelineCommand {
  static override summary = 'Stream a PaySim CSV (or .csv.gz) through the pipeline, in bounded memory.'
  static override description =
    'Reads the file as it goes (csv-parse for quoted lines), checks the header and every row, maps each row onto the ' +
    'canonical transaction (nameOrig → account, nameDest → counterparty, balances kept, step → event time) and sends it. ' +
    'isFraud and isFlaggedFraud stay in the run ledger. One of --speed or --tps sets the pace.\n\n' +
    EXIT_CODES_HELP

  static override examples = [
    '<%= config.bin %> replay paysim --file datasets/paysim-real-sample.csv --tps 500',
    '<%= config.bin %> replay paysim --file PS_20174392719_1491204439457_log.csv --speed 3600 --types TRANSFER,CASH_OUT',
    '<%= config.bin %> replay paysim --file paysim.csv.gz --tps 2000 --from-step 100 --to-step 200 --on-bad-row skip --json',
    '<%= config.bin %> replay paysim --file datasets/paysim-real-sample.csv --speed 3600 --dry-run',
  ]

  static override flags = {
    file: Flags.string({ description: 'The PaySim CSV, plain or gzip.', required: true, helpValue: '<path>' }),
    speed: Flags.custom<number>({
      description: 'Event time per wall time: 3600 plays one step (an hour) per second, keeping order and timing within a step.',
      helpValue: '<factor>',
      parse: async (input) => {
        const value = Number(input)
        if (!Number.isFinite(value) || value <= 0) throw new FlagValueError(`--speed must be a positive number; got "${input}"`)
        return value
      },
    })(),
    tps: integerFlag({ name: 'tps', description: 'Send at this constant rate instead, as fast as that.', min: 1, max: 100_000 }),
    limit: integerFlag({ name: 'limit', description: 'Replay at most this many rows (after the filters).', min: 1, max: 1_000_000_000 }),
    'from-step': integerFlag({ name: 'from-step', description: 'Skip rows before this step.', min: 1, max: 100_000 }),
    'to-step': integerFlag({ name: 'to-step', description: 'Skip rows after this step.', min: 1, max: 100_000 }),
    types: Flags.custom<Set<PaysimType>>({
      description: `Replay only these types (comma-separated: ${PAYSIM_TYPES.join(',')}).`,
      helpValue: '<TYPE,TYPE>',
      parse: async (input) => {
        const types = input.split(',').map((t) => t.trim().toUpperCase())
        const unknown = types.filter((t) => !(PAYSIM_TYPES as readonly string[]).includes(t))
        if (unknown.length || types.length === 0) throw new FlagValueError(`--types takes ${PAYSIM_TYPES.join(', ')}; got "${unknown.join(',') || input}"`)
        return new Set(types as PaysimType[])
      },
    })(),
    'on-bad-row': Flags.string({ description: 'At a bad row: stop with its line (fail), or skip and count it (skip).', options: ['fail', 'skip'], default: 'fail' }),
    'start-date': Flags.custom<number>({
      description: 'Event time of step 1 (ISO date).',
      default: Date.UTC(2026, 0, 1),
      defaultHelp: async () => '2026-01-01T00:00:00Z',
      helpValue: '<date>',
      parse: async (input) => {
        const ms = Date.parse(input)
        if (!Number.isFinite(ms)) throw new FlagValueError(`--start-date must be an ISO date such as 2026-01-01T00:00:00Z; got "${input}"`)
        return ms
      },
    })(),
    'dry-run': Flags.boolean({ description: 'Check the file and print the replay plan, without starting anything.', default: false }),
    ...pipelineFlags,
  }

  async run(): Promise<ReplayPlan | RunSummary> {
    const { flags } = await this.parse(ReplayPaysim)
    const request = replayRequest(flags)
    if (flags['dry-run']) {
      await this.checkRunFlags(flags)
      const plan = await planReplay(request)
      this.log(describeReplayPlan(plan).join('\n'))
      return plan
    }
    const bar = new ProgressBar('replay paysim', 1)
    const liveView = this.wantsLiveView(flags)
    return this.runPipelineCommand(flags, (settings) =>
      replayPaysim({
        ...settings,
        ...request,
        // The live view shows progress itself; without it, the progress bar does.
        onRowProgress: liveView
          ? undefined
          : (p) => {
              bar.setTotal(p.estimatedRows)
              bar.update(p.sent, `decided ${p.decided} · blocked ${p.blocked}`)
            },
      }).then((result) => {
        if (!liveView) {
          bar.setTotal(Math.max(result.summary.counts.sent, 1))
          bar.finish(result.summary.counts.sent, `decided ${result.summary.counts.decided} · blocked ${result.summary.counts.blocked}`)
        }
        return result
      }),
    )
  }
}

/** Every check of how the flags combine, in one place: the pace, and the step range. */
function replayRequest(flags: Interfaces.InferredFlags<typeof ReplayPaysim.flags>): ReplayRequest {
  const { speed, tps } = flags
  if (speed !== undefined && tps !== undefined) {
    throw new UserError('--speed and --tps both set the pace; give one.', { hint: '--speed replays at event time (3600: one step a second), --tps at a constant rate.' })
  }
  if (speed === undefined && tps === undefined) {
    throw new UserError('Give the pace: --speed (event time per wall time) or --tps (a constant rate).', { hint: 'For example --speed 3600 (one step per second) or --tps 1000.' })
  }
  if (flags['from-step'] !== undefined && flags['to-step'] !== undefined && flags['from-step'] > flags['to-step']) {
    throw new UserError(`--from-step ${flags['from-step']} is after --to-step ${flags['to-step']}.`, { hint: 'Swap them.' })
  }
  return {
    file: flags.file,
    pace: speed !== undefined ? { speed } : { tps: tps! },
    filters: { types: flags.types, fromStep: flags['from-step'], toStep: flags['to-step'], limit: flags.limit },
    onBadRow: flags['on-bad-row'] as 'fail' | 'skip',
    startDateMs: flags['start-date'],
  }
}
