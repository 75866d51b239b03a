import { basename } from 'node:path'
import { PaysimReplaySource, type ReplayFilters } from '../dataset/paysim-replay-source.js'
import { HOUR_MS } from '../util/time.js'
import { constantStretches, EventTimeSchedule, RateProfileSchedule } from '../load/arrival-schedule.js'
import { sleep } from '../util/clock.js'
import { runPipeline, type PipelineOptions, type PipelineResult } from './pipeline-run.js'
import { newRunId } from '../util/run-id.js'

export type ReplayOptions = Omit<PipelineOptions, 'command' | 'runId' | 'source' | 'schedule' | 'expectedTransactions' | 'offeredRatePerSec' | 'offeredWindowMs' | 'config'> & {
  file: string
  /** Event hours per wall hour: 3600 plays one PaySim step (an hour) per second. */
  speed?: number
  /** Or a constant rate, as fast as that. */
  tps?: number
  filters: ReplayFilters
  onBadRow: 'fail' | 'skip'
  startDateMs: number
  /** Progress of the replay in rows, with an estimate of the total. */
  onRowProgress?: (progress: { sent: number; decided: number; blocked: number; estimatedRows: number }) => void
}

/**
 * Streams a PaySim file into the pipeline. The file is opened and its header checked before
 * anything starts; rows are then read ahead while the run sends them.
 */
export async function replayPaysim(options: ReplayOptions): Promise<PipelineResult> {
  const { file, speed, tps, filters, onBadRow, startDateMs, onRowProgress, ...rest } = options
  if ((speed === undefined) === (tps === undefined)) throw new Error('replay needs exactly one of speed and tps')
  const runId = newRunId()
  const source = new PaysimReplaySource(file, { idPrefix: runId, startDateMs, filters, onBadRow })
  const reader = new AbortController()
  const reading = source.start(reader.signal)
  while (!source.available() && !source.exhausted()) await sleep(5)
  if (source.error && !source.available()) {
    reader.abort()
    throw source.error
  }
  const firstEventTime = source.firstEventTimeMs() ?? startDateMs
  const estimateRows = () => {
    const { bytesRead, fileBytes } = source.progress
    const fromFile = bytesRead > 0 ? Math.round((source.stats.rowsReplayed / bytesRead) * fileBytes) : source.stats.rowsReplayed
    return Math.max(1, Math.min(filters.limit ?? Infinity, Math.max(fromFile, source.stats.rowsReplayed)))
  }
  // Rows per event hour so far, for the offered rate of a --speed replay.
  const rowsPerHour = () => source.stats.rowsReplayed / Math.max(1, source.stats.steps)
  const schedule =
    speed !== undefined
      ? new EventTimeSchedule(() => source.peek().transaction.eventTime, firstEventTime, speed, Infinity, { naturalRatePerEventSec: rowsPerHour() / (HOUR_MS / 1000) })
      : new RateProfileSchedule(constantStretches(tps!, Infinity))
  try {
    return await runPipeline({
      ...rest,
      command: 'replay',
      runId,
      source,
      schedule,
      expectedTransactions: Math.max(1, estimateRows()),
      offeredRatePerSec: tps ?? (rowsPerHour() * speed!) / (HOUR_MS / 1000),
      offeredWindowMs: Infinity,
      describe: `PaySim replay of ${file} ${speed !== undefined ? `at ${speed}× event time` : `at ${tps}/s`}`,
      title: `PaySim ${basename(file)} ${speed !== undefined ? `at ${speed}× event time` : `at ${tps}/s`}`,
      config: {
        dataset: 'paysim',
        file,
        speed: speed ?? null,
        tps: tps ?? null,
        types: filters.types ? [...filters.types] : null,
        fromStep: filters.fromStep ?? null,
        toStep: filters.toStep ?? null,
        limit: filters.limit ?? null,
        onBadRow,
        startDate: new Date(startDateMs).toISOString(),
        thresholds: (rest.thresholds ?? []).map((t) => t.expression),
      },
      sourceDiagnostics: () => ({ ...source.stats }),
      onProgress: onRowProgress ? (p) => onRowProgress({ ...p, estimatedRows: estimateRows() }) : undefined,
    })
  } finally {
    reader.abort()
    await reading
  }
}
