import { Flags } from '@oclif/core'
import { PipelineCommand, pipelineFlags } from '../cli/run-command.js'
import { durationFlag, FlagValueError, integerFlag } from '../cli/flags.js'
import type { RunSummary } from '../report/run-summary.js'
import { describePlan, planRun, type RunPlan } from '../run/run-plan.js'
import { simulate } from '../run/simulate-run.js'
import { EXIT_CODES_HELP } from '../errors/exit-codes.js'

export default class Simulate extends PipelineCommand {
  static override summary = 'Run a labelled fraud scenario through the pipeline and report latency and precision/recall.'
  static override description =
    'Plays a scenario (genuine customers plus fraud archetypes, seeded) at its arrival profile or at --tps (open model), ' +
    'sends it to Kinesis, lets the scorer (its own process) block, alert and decide, and reconciles every transaction it sent. ' +
    'Starts an embedded stack for the run when none is running. Writes reports/<run-id>/summary.json.\n\n' +
    EXIT_CODES_HELP

  static override examples = [
    '<%= config.bin %> simulate --tps 200 --duration 20s',
    '<%= config.bin %> simulate --scenario card-testing --tps 1000 --count 50000 --seed 7 --json > summary.json',
    '<%= config.bin %> simulate --scenario ./my-scenario.yaml --dry-run',
    '<%= config.bin %> simulate --scenario mixed --time-scale 43200 --duration 60s',
    '<%= config.bin %> simulate --target localstack --endpoint http://localhost:4566',
  ]

  static override flags = {
    scenario: Flags.string({ description: 'Scenario name (see `fraudlab scenarios list`) or path to a scenario file.', default: 'mixed', helpValue: '<name|path>' }),
    tps: integerFlag({ name: 'tps', description: "Send at this constant rate (transactions per second) instead of the scenario's profile.", min: 1, max: 100_000 }),
    duration: durationFlag({ name: 'duration', description: "How long to offer load (default: the scenario's).", maxMs: 24 * 3_600_000 }),
    count: integerFlag({ name: 'count', description: 'Stop after this many transactions.', min: 1, max: 100_000_000 }),
    seed: integerFlag({ name: 'seed', description: "Seed (default: the scenario's): the same seed gives the same transactions.", min: 0, max: 2 ** 32 - 1 }),
    'time-scale': Flags.custom<number>({
      description: 'Send each transaction at its event time divided by this (43200 plays 30 days in 60 s).',
      helpValue: '<factor>',
      parse: async (input) => {
        const value = Number(input)
        if (!Number.isFinite(value) || value <= 0) throw new FlagValueError(`--time-scale must be a positive number; got "${input}"`)
        return value
      },
    })(),
    warmup: durationFlag({
      name: 'warmup',
      description:
        "Event time of the same population's history to fold into the scorer's feature state before the measured load (not sent, not decided, not measured), so the run measures steady state: 7d plays a week.",
      maxMs: 90 * 86_400_000,
    }),
    poisson: Flags.boolean({ description: 'Poisson inter-arrivals at the same instantaneous rate (default: evenly spaced).', allowNo: true }),
    'dry-run': Flags.boolean({ description: 'Print the validated plan and exit without starting anything.', default: false }),
    ...pipelineFlags,
  }

  async run(): Promise<RunPlan | RunSummary> {
    const { flags } = await this.parse(Simulate)
    const plan = planRun(flags.scenario, {
      tps: flags.tps,
      durationMs: flags.duration,
      count: flags.count,
      seed: flags.seed,
      timeScale: flags['time-scale'],
      poisson: flags.poisson,
    })
    if (flags['dry-run']) {
      await this.checkRunFlags(flags)
      this.log(describePlan(plan).join('\n'))
      return plan
    }
    return this.runPipelineCommand(flags, (settings) => simulate({ plan, warmupMs: flags.warmup, ...settings }))
  }
}
