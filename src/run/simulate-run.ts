import { parseThreshold } from '../report/thresholds.js'
import { runPipeline, type PipelineOptions, type PipelineResult } from './pipeline-run.js'
import { newRunId } from '../util/run-id.js'
import { instantiatePlan, type RunPlan } from './run-plan.js'

export type SimulateOptions = Omit<PipelineOptions, 'command' | 'runId' | 'source' | 'schedule' | 'expectedTransactions' | 'offeredRatePerSec' | 'offeredWindowMs' | 'config'> & {
  plan: RunPlan
}

/** Runs a scenario's plan through the pipeline. */
export function simulate(options: SimulateOptions): Promise<PipelineResult> {
  const { plan, thresholds = [], ...rest } = options
  const runId = newRunId()
  const { source, schedule } = instantiatePlan(plan, runId)
  return runPipeline({
    ...rest,
    thresholds: [...plan.thresholds.map((t) => parseThreshold(t, 'scenario', `${plan.scenarioPath}: thresholds`)), ...thresholds],
    command: 'simulate',
    runId,
    source,
    schedule,
    expectedTransactions: plan.expectedTransactions,
    offeredRatePerSec: plan.meanRatePerSec,
    offeredWindowMs: plan.durationMs,
    describe: `${plan.scenarioName}, ${plan.arrival.label}, about ${plan.expectedTransactions} transactions`,
    title: `${plan.scenarioName} · ${plan.arrival.label}`,
    config: {
      scenario: plan.scenarioName,
      scenarioPath: plan.scenarioPath,
      arrival: plan.arrival.label,
      durationMs: plan.durationMs,
      count: plan.maxCount ?? null,
      seed: plan.seed,
      thresholds: [...plan.thresholds, ...thresholds.map((t) => t.expression)],
    },
  })
}
