import { NO_TAG } from './tag-hash.js'

/**
 * One entity's events within the longest window, oldest first: event time, amount, an optional
 * tag (a merchant, device, IP or account, as its tagHash; NO_TAG for none) and a flag (declined). Events older than the window are
 * dropped as new ones arrive, and at most `cap` are kept (counts saturate there, deliberately: a
 * burst cannot make one entity's state unbounded).
 */
export class RecentEvents {
  times: number[] = NO_NUMBERS
  /** The columns below stay unallocated until a value other than their default arrives: most entities only ever need times. */
  amounts: number[] = NO_NUMBERS
  tags: number[] = NO_NUMBERS
  flags: number[] = NO_NUMBERS
  /** Every event ever folded in, and their amount total (beyond the window). */
  total = 0
  amountTotal = 0
  lastTime = NaN

  push(time: number, amount: number, tag: number, flag: number, windowMs: number, cap: number): void {
    this.prune(time - windowMs, cap - 1)
    const length = this.times.length
    // A one-element literal holds one element; a first push() into [] would reserve room for 17.
    this.times = length === 0 ? [time] : (this.times.push(time), this.times)
    if (amount !== 0 || this.amounts !== NO_NUMBERS) this.amounts = appended(this.amounts, length, amount, 0)
    if (tag === tag || this.tags !== NO_NUMBERS) this.tags = appended(this.tags, length, tag, NO_TAG)
    if (flag !== 0 || this.flags !== NO_NUMBERS) this.flags = appended(this.flags, length, flag, 0)
    this.total++
    this.amountTotal += amount
    this.lastTime = time
  }

  /** How many of the most recent events happened at or after `since` (events arrive in rough time order). */
  countSince(since: number): number {
    const times = this.times
    let i = times.length - 1
    while (i >= 0 && times[i] >= since) i--
    return times.length - 1 - i
  }

  sumSince(since: number): number {
    const { times, amounts } = this
    if (amounts === NO_NUMBERS) return 0
    let sum = 0
    for (let i = times.length - 1; i >= 0 && times[i] >= since; i--) sum += amounts[i]
    return sum
  }

  flagsSince(since: number): number {
    const { times, flags } = this
    if (flags === NO_NUMBERS) return 0
    let sum = 0
    for (let i = times.length - 1; i >= 0 && times[i] >= since; i--) sum += flags[i]
    return sum
  }

  /** Distinct tags since `since`, counting `extra` too (the transaction being scored; NO_TAG for none). */
  distinctTagsSince(since: number, extra: number): number {
    const { times, tags } = this
    const extraCount = extra === extra ? 1 : 0
    if (tags === NO_NUMBERS) return extraCount
    let distinct = 0
    const start = this.firstIndexSince(since)
    for (let i = start; i < times.length; i++) {
      const tag = tags[i]
      // NaN (no tag) equals nothing, itself included.
      if (tag !== tag || tag === extra) continue
      let repeated = false
      for (let j = start; j < i; j++) {
        if (tags[j] === tag) {
          repeated = true
          break
        }
      }
      if (!repeated) distinct++
    }
    return distinct + extraCount
  }

  /** Rough bytes held, for the memory report. */
  get retainedEvents(): number {
    return this.times.length
  }

  private firstIndexSince(since: number): number {
    let i = this.times.length - 1
    while (i >= 0 && this.times[i] >= since) i--
    return i + 1
  }

  private prune(before: number, keep: number): void {
    let drop = 0
    const times = this.times
    while (drop < times.length && (times[drop] < before || times.length - drop > keep)) drop++
    if (drop === 0) return
    times.splice(0, drop)
    if (this.amounts !== NO_NUMBERS) this.amounts.splice(0, drop)
    if (this.tags !== NO_NUMBERS) this.tags.splice(0, drop)
    if (this.flags !== NO_NUMBERS) this.flags.splice(0, drop)
  }
}

/** Shared stand-ins for columns not allocated yet; never written to (frozen, so a slip would throw). */
const NO_NUMBERS: number[] = Object.freeze([]) as unknown as number[]

/** The column with `value` appended at `length`, allocating it (filled with `fill` so far) on first use. */
function appended<T>(column: T[], length: number, value: T, fill: T): T[] {
  if (column.length === 0 && length === 0) return [value]
  if (column.length === length) {
    column.push(value)
    return column
  }
  const filled: T[] = new Array<T>(length).fill(fill)
  filled.push(value)
  return filled
}
