import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { PaysimReplaySource, type ReplayFilters } from '../dataset/paysim-replay-source.js'
import { constantStretches, EventTimeSchedule, RateProfileSchedule } from '../load/arrival-schedule.js'
import { sleep } from '../util/clock.js'
import { formatDurationMs } from '../util/duration.js'
import { newRunId } from '../util/run-id.js'
import { HOUR_MS } from '../util/time.js'
import { runPipeline, type PipelineOptions, type PipelineResult } from './pipeline-run.js'

/** How fast to replay: event hours per wall hour (3600 plays one PaySim step a second), or a constant rate. */
export type ReplayPace = { speed: number } | { tps: number }

export interface ReplayRequest {
  file: string
  pace: ReplayPace
  filters: ReplayFilters
  onBadRow: 'fail' | 'skip'
  startDateMs: number
}

/** What `replay paysim --dry-run` prints: the replay as it would start, with the file's header and first rows checked. */
export interface ReplayPlan {
  dataset: 'paysim'
  file: string
  fileBytes: number
  gzip: boolean
  pace: ReplayPace
  filters: { types: string[] | null; fromStep: number | null; toStep: number | null; limit: number | null }
  onBadRow: 'fail' | 'skip'
  startDate: string
  /** The first replayed row's step and event time (null when no row passes the filters). */
  firstStep: number | null
  firstEventTime: string | null
}

export type ReplayOptions = Omit<PipelineOptions, 'command' | 'runId' | 'source' | 'schedule' | 'expectedTransactions' | 'offeredRatePerSec' | 'offeredWindowMs' | 'config'> &
  ReplayRequest & {
    /** Progress of the replay in rows, with an estimate of the total. */
    onRowProgress?: (progress: { sent: number; decided: number; blocked: number; estimatedRows: number }) => void
  }

/**
 * Opens the file and reads until its first replayed transaction is ready: a bad header, an
 * unreadable file or (with --on-bad-row fail) a bad first row fails here, before anything starts.
 * The caller owns the returned source and stops it with `stop`.
 */
async function openReplay(request: ReplayRequest, idPrefix: string): Promise<{ source: PaysimReplaySource; reading: Promise<void>; stop: () => Promise<void> }> {
  const source = new PaysimReplaySource(request.file, { idPrefix, startDateMs: request.startDateMs, filters: request.filters, onBadRow: request.onBadRow })
  const reader = new AbortController()
  const reading = source.start(reader.signal)
  const stop = async () => {
    reader.abort()
    await reading
  }
  while (!source.available() && !source.exhausted()) await sleep(5)
  if (source.error && !source.available()) {
    await stop()
    throw source.error
  }
  return { source, reading, stop }
}

/** Checks the file and describes the replay without starting anything. */
export async function planReplay(request: ReplayRequest): Promise<ReplayPlan> {
  const { source, stop } = await openReplay(request, 'plan')
  try {
    const first = source.available() ? source.peek().transaction : undefined
    const { filters } = request
    return {
      dataset: 'paysim',
      file: request.file,
      fileBytes: (await stat(request.file)).size,
      gzip: /\.gz$/i.test(request.file),
      pace: request.pace,
      filters: { types: filters.types ? [...filters.types] : null, fromStep: filters.fromStep ?? null, toStep: filters.toStep ?? null, limit: filters.limit ?? null },
      onBadRow: request.onBadRow,
      startDate: new Date(request.startDateMs).toISOString(),
      firstStep: first ? Math.floor((first.eventTime - request.startDateMs) / HOUR_MS) + 1 : null,
      firstEventTime: first ? new Date(first.eventTime).toISOString() : null,
    }
  } finally {
    await stop()
  }
}

export function describeReplayPlan(plan: ReplayPlan): string[] {
  const { filters } = plan
  const filterText = [
    filters.types && `types ${filters.types.join(',')}`,
    filters.fromStep !== null && `from step ${filters.fromStep}`,
    filters.toStep !== null && `to step ${filters.toStep}`,
    filters.limit !== null && `at most ${filters.limit} rows`,
  ].filter(Boolean)
  return [
    `Dataset      PaySim ${plan.file} (${(plan.fileBytes / 2 ** 20).toFixed(1)} MiB${plan.gzip ? ', gzip' : ''}); header and first rows checked`,
    `Pace         ${paceLabel(plan.pace)}`,
    `Rows         ${filterText.length ? filterText.join(', ') : 'all'}; bad rows: ${plan.onBadRow === 'fail' ? 'stop at the first' : 'skip and count'}`,
    `Event time   step 1 at ${plan.startDate}; ${plan.firstStep === null ? 'no row passes the filters' : `starts at step ${plan.firstStep} (${plan.firstEventTime})`}`,
    `Duration     set by the file (${'speed' in plan.pace ? `one step every ${formatDurationMs(HOUR_MS / plan.pace.speed)}` : 'as fast as the rate allows'})`,
  ]
}

function paceLabel(pace: ReplayPace): string {
  return 'speed' in pace ? `${pace.speed}× event time` : `${pace.tps}/s`
}

/**
 * Streams a PaySim file into the pipeline. The file is opened and its header checked before
 * anything starts; rows are then read ahead while the run sends them.
 */
export async function replayPaysim(options: ReplayOptions): Promise<PipelineResult> {
  const { file, pace, filters, onBadRow, startDateMs, onRowProgress, ...rest } = options
  const runId = newRunId()
  const { source, stop } = await openReplay({ file, pace, filters, onBadRow, startDateMs }, runId)
  const firstEventTime = source.firstEventTimeMs() ?? startDateMs
  const estimateRows = () => {
    const { bytesRead, fileBytes } = source.progress
    const fromFile = bytesRead > 0 ? Math.round((source.stats.rowsReplayed / bytesRead) * fileBytes) : source.stats.rowsReplayed
    return Math.max(1, Math.min(filters.limit ?? Infinity, Math.max(fromFile, source.stats.rowsReplayed)))
  }
  // Rows per event hour so far, for the offered rate of a --speed replay.
  const rowsPerHour = () => source.stats.rowsReplayed / Math.max(1, source.stats.steps)
  const schedule =
    'speed' in pace
      ? new EventTimeSchedule(() => source.peek().transaction.eventTime, firstEventTime, pace.speed, Infinity, { naturalRatePerEventSec: rowsPerHour() / (HOUR_MS / 1000) })
      : new RateProfileSchedule(constantStretches(pace.tps, Infinity))
  const label = paceLabel(pace)
  try {
    return await runPipeline({
      ...rest,
      command: 'replay',
      runId,
      source,
      schedule,
      expectedTransactions: Math.max(1, estimateRows()),
      offeredRatePerSec: 'tps' in pace ? pace.tps : (rowsPerHour() * pace.speed) / (HOUR_MS / 1000),
      offeredWindowMs: Infinity,
      describe: `PaySim replay of ${file} at ${label}`,
      title: `PaySim ${basename(file)} at ${label}`,
      config: {
        dataset: 'paysim',
        file,
        speed: 'speed' in pace ? pace.speed : null,
        tps: 'tps' in pace ? pace.tps : null,
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
    await stop()
  }
}
