import { parseThreshold } from '../report/thresholds.js'
import { UserError } from '../errors/user-error.js'
import {
  constantStretches,
  EventTimeSchedule,
  rampingStretches,
  RateProfileSchedule,
  spikeStretches,
  truncateStretches,
  type ArrivalSchedule,
  type RateStretch,
} from '../load/arrival-schedule.js'
import { LookaheadSource } from '../scenario/lookahead-source.js'
import { Random } from '../util/random.js'
import { loadScenario } from '../scenario/scenario-loader.js'
import type { ScenarioFile } from '../scenario/scenario-schema.js'
import { ScenarioSimulator } from '../scenario/simulator.js'
import { formatDurationMs } from '../util/duration.js'

export interface PlanOverrides {
  /** Replaces the file's arrival profile with a constant rate. */
  tps?: number
  durationMs?: number
  count?: number
  seed?: number
  /** Replaces the file's arrival profile with event-time arrival at this scale. */
  timeScale?: number
  poisson?: boolean
}

export type PlannedArrival =
  | { executor: 'rate-profile'; label: string; stretches: RateStretch[]; poisson: boolean }
  | { executor: 'event-time'; label: string; timeScale: number }

/** Everything a run will do, validated before anything starts. */
export interface RunPlan {
  scenarioName: string
  scenarioPath: string
  scenario: ScenarioFile
  seed: number
  arrival: PlannedArrival
  durationMs: number
  maxCount?: number
  expectedTransactions: number
  meanRatePerSec: number
  /** Event time the run's transactions cover, estimated from the population's natural rate. */
  eventDaysCovered: number
  thresholds: string[]
}

export function planRun(scenarioNameOrPath: string, overrides: PlanOverrides = {}): RunPlan {
  const { scenario, path } = loadScenario(scenarioNameOrPath)
  if (overrides.tps !== undefined && overrides.timeScale !== undefined) {
    throw new UserError('--tps and --time-scale both set the arrival rate: give one of them.', {
      hint: '--tps sends at a constant rate; --time-scale sends each transaction at its event time divided by the scale.',
    })
  }
  const file = scenario.arrival
  const fileDurationMs = file.executor === 'ramping' ? file.stages.reduce((sum, stage) => sum + stage.duration, 0) : file.duration
  const durationMs = overrides.durationMs ?? (overrides.count !== undefined && overrides.tps !== undefined ? (overrides.count / overrides.tps) * 1000 : fileDurationMs)
  const poisson = overrides.poisson ?? ('poisson' in file ? file.poisson : false)
  let arrival: PlannedArrival
  if (overrides.timeScale !== undefined || (overrides.tps === undefined && file.executor === 'event-time')) {
    const timeScale = overrides.timeScale ?? (file.executor === 'event-time' ? file.timeScale : 1)
    arrival = { executor: 'event-time', label: `event-time ×${timeScale}`, timeScale }
  } else if (overrides.tps !== undefined || file.executor === 'constant') {
    const rate = overrides.tps ?? (file.executor === 'constant' ? file.rate : 0)
    arrival = { executor: 'rate-profile', label: `constant ${rate}/s`, stretches: constantStretches(rate, durationMs), poisson }
  } else if (file.executor === 'ramping') {
    const stretches = truncateStretches(rampingStretches(file.startRate, file.stages.map((s) => ({ target: s.target, durationMs: s.duration }))), durationMs)
    arrival = { executor: 'rate-profile', label: `ramping ${[file.startRate, ...file.stages.map((s) => s.target)].join('→')}/s`, stretches, poisson }
  } else if (file.executor === 'spike') {
    if (file.spikeAt + file.spikeDuration > durationMs) {
      throw new UserError(`--duration ${formatDurationMs(durationMs)} ends before the scenario's spike does.`, { hint: 'Give a longer --duration or none.' })
    }
    const stretches = spikeStretches(file.rate, file.spikeRate, file.spikeAt, file.spikeDuration, durationMs)
    arrival = { executor: 'rate-profile', label: `spike ${file.rate}/s → ${file.spikeRate}/s at ${formatDurationMs(file.spikeAt)}`, stretches, poisson }
  } else {
    throw new Error(`unknown arrival executor ${(file as { executor: string }).executor}`)
  }
  if (poisson && arrival.executor === 'rate-profile') arrival.label += ', Poisson'
  const naturalRate = naturalRatePerEventSec(scenario)
  const meanRatePerSec =
    arrival.executor === 'event-time' ? naturalRate * arrival.timeScale : arrival.stretches.reduce((sum, s) => sum + ((s.startRate + s.endRate) / 2) * s.durationMs, 0) / Math.max(1, durationMs)
  const offered = Math.floor((meanRatePerSec * durationMs) / 1000 + 1e-9)
  const expectedTransactions = Math.min(overrides.count ?? Infinity, offered)
  if (expectedTransactions < 1) {
    throw new UserError(`The plan offers no transactions (${arrival.label} for ${formatDurationMs(durationMs)}).`, { hint: 'Raise the rate or the duration.' })
  }
  return {
    scenarioName: scenario.name,
    scenarioPath: path,
    scenario,
    seed: overrides.seed ?? scenario.seed,
    arrival,
    durationMs,
    maxCount: overrides.count,
    expectedTransactions,
    meanRatePerSec,
    eventDaysCovered: expectedTransactions / naturalRate / 86_400,
    // Checked now, so a bad threshold in a scenario file stops the run before it starts.
    thresholds: scenario.thresholds.map((t) => parseThreshold(t, 'scenario', `${path}: thresholds`).expression),
  }
}

/** Genuine transactions per second of event time, from the population's segments. */
export function naturalRatePerEventSec(scenario: ScenarioFile): number {
  const perDay = scenario.population.segments.reduce((sum, s) => sum + s.share * s.transactionsPerDay, 0) * scenario.population.customers
  return perDay / 86_400
}

/**
 * The plan's transaction source (seeded) and arrival schedule, ready to run. With `warmupMs`, the
 * measured load starts that much event time after the scenario's start (the history before it is
 * the scorer's warm-up).
 */
export function instantiatePlan(plan: RunPlan, idPrefix: string, warmupMs = 0): { source: LookaheadSource; schedule: ArrivalSchedule } {
  const source = new LookaheadSource(new ScenarioSimulator(plan.scenario, { seed: plan.seed, idPrefix }))
  const arrival = plan.arrival
  const schedule =
    arrival.executor === 'event-time'
      ? new EventTimeSchedule(() => source.peek().transaction.eventTime, Date.parse(plan.scenario.startTime) + warmupMs, arrival.timeScale, plan.durationMs, {
          naturalRatePerEventSec: naturalRatePerEventSec(plan.scenario),
          maxCount: plan.maxCount,
        })
      : // The arrival process has its own random stream, so the transactions do not depend on it.
        new RateProfileSchedule(arrival.stretches, { poisson: arrival.poisson ? new Random(plan.seed ^ 0x9e3779b9) : undefined, maxCount: plan.maxCount })
  return { source, schedule }
}

export function describePlan(plan: RunPlan): string[] {
  const fraud = plan.scenario.fraud.map((f) => `${f.archetype} (${f.attacksPerDay !== undefined ? `${f.attacksPerDay}/day` : `${f.count} attacks`})`)
  return [
    `Scenario     ${plan.scenarioName} (${plan.scenarioPath})`,
    `Seed         ${plan.seed}`,
    `Population   ${plan.scenario.population.customers} customers, ${plan.scenario.population.merchants} merchants, ${plan.scenario.population.segments.length} segments`,
    `Fraud        ${fraud.length ? fraud.join(', ') : 'none'}`,
    `Arrival      ${plan.arrival.label} for ${formatDurationMs(plan.durationMs)}${plan.maxCount !== undefined ? `, at most ${plan.maxCount} transactions` : ''}`,
    `Expected     ${plan.expectedTransactions} transactions, ${plan.meanRatePerSec.toFixed(1)}/s on average, covering ${plan.eventDaysCovered.toFixed(2)} days of event time`,
    `Thresholds   ${plan.thresholds.length ? plan.thresholds.join(', ') : 'none'}`,
  ]
}
