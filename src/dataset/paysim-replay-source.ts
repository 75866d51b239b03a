import { HOUR_MS } from '../util/time.js'
import { UserError } from '../errors/user-error.js'
import type { RunSource } from '../load/run-source.js'
import type { LabelledTransaction } from '../schema/labels.js'
import { eventTimeOf, labelOf, toTransaction, type PaysimRow, type PaysimType } from './paysim-format.js'
import { readPaysim, type ReadProgress } from './paysim-reader.js'

export interface ReplayFilters {
  types?: ReadonlySet<PaysimType>
  fromStep?: number
  toStep?: number
  /** Replay at most this many rows (after the filters). */
  limit?: number
}

export interface ReplayStats {
  rowsRead: number
  rowsReplayed: number
  rowsFilteredOut: number
  badRowsSkipped: number
  badRowExamples: string[]
  fraud: number
  flaggedFraud: number
  steps: number
  /** Steps that came after a later step in the file (replayed in file order). */
  stepsOutOfOrder: number
}

/**
 * A PaySim file as a run source. It reads ahead in the background, holds back each step until
 * the step is complete (its rows are spread evenly over the step's hour), and pauses reading
 * while enough transactions wait, so memory stays bounded by the read-ahead and one step.
 */
export class PaysimReplaySource implements RunSource {
  error?: Error
  readonly stats: ReplayStats = { rowsRead: 0, rowsReplayed: 0, rowsFilteredOut: 0, badRowsSkipped: 0, badRowExamples: [], fraud: 0, flaggedFraud: 0, steps: 0, stepsOutOfOrder: 0 }
  progress: ReadProgress = { bytesRead: 0, fileBytes: 0 }
  private ready: LabelledTransaction[] = []
  private head = 0
  private stepRows: PaysimRow[] = []
  private currentStep = -1
  private sequence = 0
  private finished = false
  private resume?: () => void

  constructor(
    private readonly path: string,
    private readonly options: {
      idPrefix: string
      startDateMs: number
      filters?: ReplayFilters
      onBadRow: 'fail' | 'skip'
      /** Transactions held ready before reading pauses. */
      readAhead?: number
    },
  ) {}

  /** Starts reading; resolves when the file is read (or reading stopped). */
  async start(signal?: AbortSignal): Promise<void> {
    try {
      await this.pump(signal)
    } catch (error) {
      this.error ??= error as Error
    } finally {
      this.flushStep()
      this.finished = true
    }
  }

  available(): boolean {
    return this.head < this.ready.length
  }

  exhausted(): boolean {
    return (this.finished || this.error !== undefined) && !this.available()
  }

  peek(): LabelledTransaction {
    return this.ready[this.head]
  }

  next(): LabelledTransaction {
    const item = this.ready[this.head]
    // Release the taken transaction now, not when the queue is next compacted.
    this.ready[this.head++] = undefined as unknown as LabelledTransaction
    if (this.head >= 65_536 && this.head * 2 >= this.ready.length) {
      this.ready = this.ready.slice(this.head)
      this.head = 0
    }
    if (this.resume && this.ready.length - this.head < (this.options.readAhead ?? 20_000) / 2) {
      this.resume()
      this.resume = undefined
    }
    return item
  }

  /** Event time at which replay starts: the beginning of the first replayed step. */
  firstEventTimeMs(): number | undefined {
    const first = this.ready[this.head]
    return first ? first.transaction.eventTime - (first.transaction.eventTime - this.options.startDateMs) % HOUR_MS : undefined
  }

  private async pump(signal?: AbortSignal): Promise<void> {
    const { filters = {}, onBadRow } = this.options
    const readAhead = this.options.readAhead ?? 20_000
    for await (const batch of readPaysim(this.path, { signal, onProgress: (p) => (this.progress = p) })) {
      for (const result of batch) {
        if (!result.ok) {
          const where = `${this.path}:${result.line}: ${result.reason}`
          if (onBadRow === 'fail') {
            throw new UserError(`Bad row at ${where}.`, { hint: 'Fix the row, or pass --on-bad-row skip to skip bad rows (they are counted in the report).' })
          }
          this.stats.badRowsSkipped++
          if (this.stats.badRowExamples.length < 10) this.stats.badRowExamples.push(where)
          continue
        }
        const row = result.row
        this.stats.rowsRead++
        if ((filters.types && !filters.types.has(row.type)) || (filters.fromStep !== undefined && row.step < filters.fromStep) || (filters.toStep !== undefined && row.step > filters.toStep)) {
          this.stats.rowsFilteredOut++
          continue
        }
        if (filters.limit !== undefined && this.stats.rowsReplayed >= filters.limit) return
        if (row.step !== this.currentStep) {
          if (row.step < this.currentStep) this.stats.stepsOutOfOrder++
          this.flushStep()
          this.currentStep = row.step
          this.stats.steps++
        }
        this.stepRows.push(row)
        this.stats.rowsReplayed++
        if (row.isFraud) this.stats.fraud++
        if (row.isFlaggedFraud) this.stats.flaggedFraud++
      }
      if (signal?.aborted) return
      if (this.ready.length - this.head >= readAhead) await new Promise<void>((resolve) => (this.resume = resolve))
    }
  }

  private flushStep(): void {
    const rows = this.stepRows
    for (let i = 0; i < rows.length; i++) {
      const eventTime = eventTimeOf(rows[i].step, i, rows.length, this.options.startDateMs)
      this.ready.push({ transaction: toTransaction(rows[i], `${this.options.idPrefix}-${this.sequence++}`, eventTime), label: labelOf(rows[i]) })
    }
    this.stepRows = []
  }
}
