/**
 * One entity's events within the longest window, oldest first: event time, amount, an optional
 * tag (merchant, device, IP or account) and a flag (declined). Events older than the window are
 * dropped as new ones arrive, and at most `cap` are kept (counts saturate there, deliberately: a
 * burst cannot make one entity's state unbounded).
 */
export class RecentEvents {
  times: number[] = []
  amounts: number[] = []
  tags: Array<string | undefined> = []
  flags: number[] = []
  /** Every event ever folded in, and their amount total (beyond the window). */
  total = 0
  amountTotal = 0
  lastTime = NaN

  push(time: number, amount: number, tag: string | undefined, flag: number, windowMs: number, cap: number): void {
    this.prune(time - windowMs, cap - 1)
    this.times.push(time)
    this.amounts.push(amount)
    this.tags.push(tag)
    this.flags.push(flag)
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
    let sum = 0
    for (let i = times.length - 1; i >= 0 && times[i] >= since; i--) sum += amounts[i]
    return sum
  }

  flagsSince(since: number): number {
    const { times, flags } = this
    let sum = 0
    for (let i = times.length - 1; i >= 0 && times[i] >= since; i--) sum += flags[i]
    return sum
  }

  /** Distinct tags since `since`, counting `extra` too (the transaction being scored). */
  distinctTagsSince(since: number, extra: string | undefined): number {
    const { times, tags } = this
    let distinct = 0
    const start = this.firstIndexSince(since)
    for (let i = start; i < times.length; i++) {
      const tag = tags[i]
      if (tag === undefined || tag === extra) continue
      let repeated = false
      for (let j = start; j < i; j++) {
        if (tags[j] === tag) {
          repeated = true
          break
        }
      }
      if (!repeated) distinct++
    }
    return distinct + (extra === undefined ? 0 : 1)
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
    this.amounts.splice(0, drop)
    this.tags.splice(0, drop)
    this.flags.splice(0, drop)
  }
}
