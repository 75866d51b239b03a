import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseThreshold } from '../report/thresholds.js'
import { writeWarmupHistory } from '../scenario/warmup-history.js'
import { runPipeline, type PipelineOptions, type PipelineResult } from './pipeline-run.js'
import { newRunId } from '../util/run-id.js'
import { instantiatePlan, type RunPlan } from './run-plan.js'

export type SimulateOptions = Omit<PipelineOptions, 'command' | 'runId' | 'source' | 'schedule' | 'expectedTransactions' | 'offeredRatePerSec' | 'offeredWindowMs' | 'config' | 'warmupPath'> & {
  plan: RunPlan
  /** Event time of the population's history played into the scorer's feature state first (`--warmup`). */
  warmupMs?: number
}

const COLD_START_NOTE =
  'The scorer started cold: its feature state was empty, so accounts first seen during the run are scored without history. --warmup 7d plays a week of the same population first.'

/** Runs a scenario's plan through the pipeline, after writing its warm-up history if asked. */
export async function simulate(options: SimulateOptions): Promise<PipelineResult> {
  const { plan, thresholds = [], warmupMs = 0, ...rest } = options
  const runId = newRunId()
  const { source, schedule } = instantiatePlan(plan, runId, warmupMs)
  const startMs = Date.parse(plan.scenario.startTime)
  const folder = warmupMs > 0 ? await mkdtemp(join(tmpdir(), 'fraudlab-warmup-')) : undefined
  try {
    const warmup = folder ? await writeWarmupHistory(source, startMs, startMs + warmupMs, join(folder, 'history.ndjson')) : undefined
    return await runPipeline({
      ...rest,
      warmupPath: warmup?.path,
      notes: warmup ? [] : [COLD_START_NOTE],
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
        warmup: warmup ? { eventMs: warmup.eventMs, transactions: warmup.transactions } : null,
      },
    })
  } finally {
    if (folder) await rm(folder, { recursive: true, force: true })
  }
}
