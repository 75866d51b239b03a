import type { RunLedger } from '../collector/run-ledger.js'
import type { LiveStatus } from './live-status.js'

/**
 * What a running run shows to metric outputs (`--out`): read when they collect (a scrape, an
 * export), never pushed from the hot path, so an output costs the run nothing between reads.
 */
export interface RunTelemetrySource {
  runId: string
  /** Counts, rates, confusion, lag and problems, as the live view sees them. */
  status(): LiveStatus
  /** The ledger's cumulative HDR histograms (decision latency and stages), in microseconds. */
  ledger: Pick<RunLedger, 'decision' | 'stages' | 'acked'>
}
