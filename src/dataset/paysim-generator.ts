import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createGzip } from 'node:zlib'
import { permute32 } from '../util/ids.js'
import { Random } from '../util/random.js'
import { makeDirectory } from '../util/writable-path.js'
import { PAYSIM_COLUMNS, type PaysimType } from './paysim-format.js'

/** Row counts per type in the real file (6,362,620 rows), which the generator's mix follows. */
export const REAL_TYPE_COUNTS: Record<PaysimType, number> = { CASH_OUT: 2_237_500, PAYMENT: 2_151_495, CASH_IN: 1_399_284, TRANSFER: 532_909, DEBIT: 41_432 }
export const REAL_ROWS = 6_362_620
/** Frauds in the real file: 4,097 TRANSFERs and 4,116 CASH_OUTs. */
export const REAL_FRAUD_PAIRS_PER_ROW = 4_097 / REAL_ROWS
/** Median amounts of genuine rows per type in the real file. */
export const REAL_GENUINE_MEDIANS: Record<PaysimType, number> = { TRANSFER: 486_522, CASH_OUT: 146_947, CASH_IN: 143_428, PAYMENT: 9_482, DEBIT: 3_049 }
const SIGMA: Record<PaysimType, number> = { TRANSFER: 1.1, CASH_OUT: 0.9, CASH_IN: 1.0, PAYMENT: 1.0, DEBIT: 1.0 }
/**
 * Shares of genuine rows, per type, as the real sample (datasets/paysim-real-sample.csv) has them:
 * both origin balances 0; both destination balances 0 though the destination is a customer (not
 * recorded); and an empty destination that the amount then fills (old 0, new > 0).
 */
export const REAL_GENUINE_ORIGIN_BOTH_ZERO: Record<PaysimType, number> = { TRANSFER: 0.485, CASH_OUT: 0.463, CASH_IN: 0, PAYMENT: 0.088, DEBIT: 0.125 }
export const REAL_GENUINE_DESTINATION_UNRECORDED: Record<PaysimType, number> = { TRANSFER: 0, CASH_OUT: 0, CASH_IN: 0.094, PAYMENT: 1, DEBIT: 0 }
const DESTINATION_EMPTY_BEFORE: Record<PaysimType, number> = { TRANSFER: 0.133, CASH_OUT: 0.128, CASH_IN: 0, PAYMENT: 0, DEBIT: 0 }
/**
 * Fraud TRANSFERs that leave money behind: a victim holding more than the 10,000,000 chunk limit
 * keeps the rest (the real sample has one: 10,000,000 out of 19,749,042.95; about 2–3% of the full
 * file's fraud TRANSFERs), so emptying the account is not the only sign of fraud.
 */
export const FRAUD_LEAVES_MONEY_SHARE = 0.025
const STEPS = 744
/** PaySim splits a fraudster's transfer into transactions of at most this amount. */
const MAX_FRAUD_TRANSFER = 10_000_000
/** isFlaggedFraud: the real file flags 16 of its 4,097 fraud TRANSFERs, all above 200,000. */
const FLAG_THRESHOLD = 200_000
const FLAGGED_SHARE_OF_LARGE_FRAUD_TRANSFERS = 0.006

/**
 * PaySim-format rows with PaySim's mechanics and statistics, reproducing these quirks of the real
 * file: fraud only in TRANSFER and CASH_OUT, as a TRANSFER that empties the victim's balance
 * (or takes the 10,000,000 chunk limit from a richer victim) followed at once by a CASH_OUT of the
 * same amount from another account (the real file does not link the mule's ids); merchants'
 * balances recorded as 0; senders with a zero balance whose payments still go through
 * (newbalanceOrig stays 0), at the real sample's share per type; the destination balances of fraud
 * TRANSFERs, and of some genuine CASH_INs, left at 0; fraud spread
 * evenly over the 744 hourly steps, night included, while genuine traffic follows a daily cycle
 * and thins out after step 400; isFlaggedFraud on a few fraud TRANSFERs above 200,000, whose
 * origin balance then stays unchanged. Rows come sorted by step.
 */
export class PaysimGenerator {
  private readonly random: Random
  private readonly stepRows: Int32Array
  private readonly fraudPairsPerStep: Int32Array
  private readonly genuineTypes: PaysimType[]
  private readonly genuineCumulative: Float64Array
  private step = 0
  private pending: string[] = []
  private nextName = 0

  constructor(
    readonly rows: number,
    seed: number,
  ) {
    this.random = new Random(seed)
    const fraudPairs = Math.round(rows * REAL_FRAUD_PAIRS_PER_ROW)
    const genuineRows = rows - 2 * fraudPairs
    // Genuine mix: the real counts less the frauds, which are TRANSFER + CASH_OUT pairs.
    const genuineWeights: Array<[PaysimType, number]> = (Object.entries(REAL_TYPE_COUNTS) as Array<[PaysimType, number]>).map(([type, count]) => [
      type,
      type === 'TRANSFER' || type === 'CASH_OUT' ? count - 4_100 : count,
    ])
    this.genuineTypes = genuineWeights.map(([type]) => type)
    let sum = 0
    this.genuineCumulative = Float64Array.from(genuineWeights, ([, weight]) => (sum += weight))
    this.stepRows = allocate(genuineRows, Array.from({ length: STEPS }, (_, i) => stepWeight(i + 1)))
    this.fraudPairsPerStep = allocate(fraudPairs, Array.from({ length: STEPS }, () => 1))
  }

  header(): string {
    return PAYSIM_COLUMNS.join(',') + '\n'
  }

  /** Writes the CSV (gzip when `path` ends in .gz) with back-pressure; the file appears only once complete. */
  async writeTo(path: string, onProgress?: (rowsWritten: number) => void, signal?: AbortSignal): Promise<number> {
    await makeDirectory(dirname(path), { what: '--out', hint: 'Choose a folder you can write to for --out.' })
    const partial = `${path}.partial`
    const file = createWriteStream(partial)
    const gzip = path.endsWith('.gz') ? createGzip() : undefined
    gzip?.pipe(file)
    const out = gzip ?? file
    const write = async (text: string) => {
      if (!out.write(text)) await once(out, 'drain')
    }
    await write(this.header())
    let written = 0
    let chunk = ''
    for (let line = this.nextLine(); line !== undefined && !signal?.aborted; line = this.nextLine()) {
      chunk += line
      if (++written % 4_096 === 0) {
        await write(chunk)
        chunk = ''
        onProgress?.(written)
      }
    }
    await write(chunk)
    out.end()
    await once(file, 'close')
    if (signal?.aborted) return written
    await rename(partial, path)
    onProgress?.(written)
    return written
  }

  /** The next CSV line (with its newline), or undefined when all rows are written. */
  nextLine(): string | undefined {
    while (this.pending.length === 0) {
      if (this.step >= STEPS) return undefined
      this.fillStep(this.step + 1, this.stepRows[this.step], this.fraudPairsPerStep[this.step])
      this.step++
    }
    return this.pending.pop()
  }

  private fillStep(step: number, genuine: number, fraudPairs: number): void {
    const lines: string[] = []
    for (let i = 0; i < genuine; i++) lines.push(this.genuineRow(step))
    for (let i = 0; i < fraudPairs; i++) {
      // A fraud is a TRANSFER and its CASH_OUT on adjacent rows, somewhere in the step.
      const at = this.random.int(0, lines.length + 1)
      lines.splice(at, 0, ...this.fraudRows(step))
    }
    this.pending = lines.reverse()
  }

  private customer(): string {
    return `C${permute32(this.nextName++)}`
  }

  private merchant(): string {
    return `M${1_000_000_000 + Math.floor(this.random.next() * 999_999_999)}`
  }

  private genuineRow(step: number): string {
    const type = this.random.pickWeighted(this.genuineTypes, this.genuineCumulative)
    const amount = cents(this.random.logNormal(REAL_GENUINE_MEDIANS[type], SIGMA[type]))
    const zeroBalance = this.random.chance(REAL_GENUINE_ORIGIN_BOTH_ZERO[type])
    const oldOrig = zeroBalance ? 0 : cents(this.random.logNormal(type === 'CASH_IN' ? 1_500_000 : 80_000, 1.6))
    const newOrig = type === 'CASH_IN' ? cents(oldOrig + amount) : cents(Math.max(0, oldOrig - amount))
    let nameDest: string
    let oldDest = 0
    let newDest = 0
    if (type === 'PAYMENT') nameDest = this.merchant()
    else {
      nameDest = this.customer()
      const unrecorded = this.random.chance(REAL_GENUINE_DESTINATION_UNRECORDED[type])
      if (!unrecorded) {
        oldDest = this.random.chance(DESTINATION_EMPTY_BEFORE[type]) ? 0 : cents(this.random.logNormal(900_000, 1.4))
        newDest = type === 'CASH_IN' ? cents(Math.max(0, oldDest - amount)) : cents(oldDest + amount)
      }
    }
    return row(step, type, amount, this.customer(), oldOrig, newOrig, nameDest, oldDest, newDest, false, false)
  }

  private fraudRows(step: number): string[] {
    const rich = this.random.chance(FRAUD_LEAVES_MONEY_SHARE)
    const balance = rich ? cents(MAX_FRAUD_TRANSFER * (1.05 + this.random.next() * 1.5)) : cents(Math.min(MAX_FRAUD_TRANSFER, this.random.logNormal(450_000, 1.3)))
    const amount = Math.min(MAX_FRAUD_TRANSFER, balance)
    const flagged = amount > FLAG_THRESHOLD && this.random.chance(FLAGGED_SHARE_OF_LARGE_FRAUD_TRANSFERS)
    const transfer = row(step, 'TRANSFER', amount, this.customer(), balance, flagged ? balance : cents(balance - amount), this.customer(), 0, 0, true, flagged)
    const oldDest = this.random.chance(0.45) ? 0 : cents(this.random.logNormal(500_000, 1.5))
    const cashOut = row(step, 'CASH_OUT', amount, this.customer(), amount, 0, this.customer(), oldDest, cents(oldDest + amount), true, false)
    return [transfer, cashOut]
  }
}

function row(step: number, type: PaysimType, amount: number, nameOrig: string, oldOrig: number, newOrig: number, nameDest: string, oldDest: number, newDest: number, fraud: boolean, flagged: boolean): string {
  return `${step},${type},${pyFloat(amount)},${nameOrig},${pyFloat(oldOrig)},${pyFloat(newOrig)},${nameDest},${pyFloat(oldDest)},${pyFloat(newDest)},${fraud ? 1 : 0},${flagged ? 1 : 0}\n`
}

function cents(value: number): number {
  return Math.round(value * 100) / 100
}

/** Numbers as the real file prints them (Python's float repr): 181.0, 9839.64. */
function pyFloat(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value)
}

/** Genuine activity by step: a daily cycle (quiet at night), thinning out after step 400 as in the real file. */
function stepWeight(step: number): number {
  const hour = (step - 1) % 24
  const daily = hour < 6 ? 0.05 : hour < 9 ? 0.6 : hour < 20 ? 1 : 0.5
  return daily * (step <= 400 ? 1 : 0.12)
}

/** Splits `total` into integers proportional to `weights` (largest remainders). */
function allocate(total: number, weights: number[]): Int32Array {
  // Systematic rounding of the running total: counts sum to `total` exactly, and a total smaller
  // than the number of slots is spread across them evenly rather than piled into the first ones.
  const sum = weights.reduce((a, b) => a + b, 0)
  const result = new Int32Array(weights.length)
  let cumulative = 0
  let allocated = 0
  for (let i = 0; i < weights.length; i++) {
    cumulative += (total * weights[i]) / sum
    const upTo = i === weights.length - 1 ? total : Math.round(cumulative)
    result[i] = upTo - allocated
    allocated = upTo
  }
  return result
}
