import { errorName } from '../aws/backoff.js'
import { nowMs } from '../util/clock.js'
import { LeaseLostError, SHARD_END, TRIM_HORIZON, type Lease, type LeaseTable, type ShardLineage } from './lease-table.js'

export interface LeaseSettings {
  /** A lease whose counter has not moved for this long is expired: its worker is taken for dead (KCL: 10 s). */
  failoverMs: number
  /** How often a worker renews what it holds (KCL: a third of the failover time). */
  renewEveryMs?: number
  /** How often a worker looks for leases to take (KCL: twice the failover time; here the failover time, so that a run's scorers balance sooner). */
  takeEveryMs?: number
  /** Workers expected in the group, for the first share before the others hold anything (a run's --scorers). */
  expectedWorkers?: number
}

export const KCL_FAILOVER_MS = 10_000

export function newLeaseStats(): LeaseStats {
  return { taken: 0, takenExpired: 0, stolen: 0, reclaimed: 0, lost: 0, released: 0, renewals: 0, shardsEnded: 0, takeovers: [] }
}

export interface LeaseStats {
  /** Leases taken: free ones, expired ones (their worker gone), and stolen ones (to balance). */
  taken: number
  takenExpired: number
  stolen: number
  /** Leases this worker took back after dropping them itself (no renewal landed in time, and nobody else took them). */
  reclaimed: number
  /** Leases this worker found taken by another (a renewal or checkpoint refused). */
  lost: number
  released: number
  renewals: number
  /** Shards read to their end (closed by a reshard) and checkpointed SHARD_END by this worker. */
  shardsEnded: number
  /** Each expired lease taken: from whom, when (epoch ms), and how long its counter had not moved as this worker saw it. */
  takeovers: Array<{ from: string; atMs: number; unmovedMs: number }>
}

export interface LeaseEvents {
  /** A shard is this worker's now, to resume after `checkpoint` (a sequence number, or TRIM_HORIZON or LATEST to start there). */
  acquired(shardId: string, checkpoint: string | undefined): void
  /** A shard is no longer this worker's: stop reading it and act on none of it. */
  lost(shardId: string): void
}

/**
 * One taking of a shard's lease by this worker. It stays refused once that lease is lost, even if
 * the worker takes the shard again later (that is another taking, for another reading loop): a
 * loop that outlived its lease can never checkpoint past pages it did not act on.
 */
export interface HeldLease {
  /** Whether this worker may still act on the shard under this taking. */
  holds(): boolean
  /** Saves the shard's position; LeaseLostError once this taking is over. */
  checkpoint(sequenceNumber: string): Promise<void>
  /**
   * The shard was read to its end (a reshard closed it) and every page of it acted on: its
   * children get leases, read from their start, and this one is checkpointed SHARD_END and given
   * back. A child is taken only once every parent is finished, so each key's records stay in order.
   */
  finish(children: ShardLineage[]): Promise<void>
}

interface Held {
  lease: Lease
  /**
   * When the last successful renewal (or the take) was sent: past failoverMs from then, another
   * worker may hold it. The sending time, not the answer's: the write happened after it.
   */
  renewedAt: number
  /** When this worker took it (epoch ms, Kinesis' arrival clock). */
  takenAt: number
}

/**
 * One worker of a consumer group sharing a stream's shards through a lease table, as the Kinesis
 * Client Library does: it renews what it holds, takes free leases up to its share of the shards and
 * a dead worker's expired ones at once, steals at most one at a time from the worker holding the
 * most, and gives everything back on a graceful stop. A lease not renewed within the failover time
 * is treated as lost here before any other worker may take it, so two workers never act on one
 * shard at once (a stolen one aside, until the next renewal tells its owner: KCL's window too).
 */
export class LeaseCoordinator {
  readonly stats: LeaseStats = newLeaseStats()
  private readonly held = new Map<string, Held>()
  /** Each lease's counter as last seen, and when it last moved (this worker's clock): how expiry is told. */
  private readonly seen = new Map<string, { counter: number; movedAt: number }>()
  private readonly settings: Required<LeaseSettings>
  private timers: NodeJS.Timeout[] = []
  private events?: LeaseEvents
  private takePass?: Promise<void>
  /** One renewal pass at a time: two at once would send the same expected counter, and the second would read as a lost lease. */
  private renewPass?: Promise<void>
  private stopped = false

  constructor(
    private readonly table: LeaseTable,
    readonly worker: string,
    settings: LeaseSettings,
  ) {
    this.settings = {
      failoverMs: settings.failoverMs,
      renewEveryMs: settings.renewEveryMs ?? Math.max(1, Math.floor(settings.failoverMs / 3)),
      takeEveryMs: settings.takeEveryMs ?? settings.failoverMs,
      expectedWorkers: Math.max(1, settings.expectedWorkers ?? 1),
    }
  }

  /**
   * Creates the leases of `shards` that have none (starting at the reader's start), takes this
   * worker's first share, and starts renewing and taking.
   */
  async start(shards: ShardLineage[], startAt: 'TRIM_HORIZON' | 'LATEST'): Promise<void> {
    await this.table.ensure(shards, startAt)
    await this.takeLeases()
    this.timers.push(setInterval(() => void (this.renewPass ??= this.renewAll().finally(() => (this.renewPass = undefined))), this.settings.renewEveryMs))
    this.timers.push(setInterval(() => this.takeNow(), this.settings.takeEveryMs))
    for (const timer of this.timers) timer.unref()
  }

  /** The shards held now, with where each resumes; `events` hears every change from here on. */
  listen(events: LeaseEvents): Array<{ shardId: string; checkpoint: string | undefined }> {
    this.events = events
    return [...this.held.values()].map(({ lease }) => ({ shardId: lease.shardId, checkpoint: lease.checkpoint }))
  }

  /** The shard's lease as held now, for one reading loop (undefined if it is not held). */
  taking(shardId: string): HeldLease | undefined {
    const held = this.held.get(shardId)
    if (!held) return undefined
    const checkpoint = async (sequenceNumber: string) => {
      if (this.held.get(shardId) !== held) throw new LeaseLostError(held.lease.leaseKey)
      try {
        await this.table.checkpoint(held.lease.leaseKey, this.worker, sequenceNumber)
        held.lease.checkpoint = sequenceNumber
      } catch (error) {
        if (error instanceof LeaseLostError && this.held.get(shardId) === held) this.drop(shardId)
        throw error
      }
    }
    return {
      holds: () => this.held.get(shardId) === held && this.fresh(held),
      checkpoint,
      finish: async (children) => {
        // The children's leases first: a crash before SHARD_END rereads the parent, never strands its children.
        await this.table.ensure(children, TRIM_HORIZON)
        await checkpoint(SHARD_END)
        this.held.delete(shardId)
        this.stats.shardsEnded++
        await this.table.release(held.lease.leaseKey, this.worker).catch((error: unknown) => {
          if (!(error instanceof LeaseLostError)) throw error
        })
        // Not at the next take pass (up to the failover time away): the children wait for nothing else.
        this.takeNow()
      },
    }
  }

  /**
   * When this worker took the shard's lease (epoch ms; Infinity when it does not hold it): a record
   * that reached Kinesis before may have been acted on by the previous owner.
   */
  takenAt(shardId: string): number {
    return this.held.get(shardId)?.takenAt ?? Infinity
  }

  /** Stops renewing and taking, and gives back every lease held (after the readers checkpointed). */
  async stop(): Promise<void> {
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    await Promise.all([this.takePass, this.renewPass])
    await Promise.all(
      [...this.held.values()].map(async ({ lease }) => {
        try {
          await this.table.release(lease.leaseKey, this.worker)
          this.stats.released++
        } catch (error) {
          if (!(error instanceof LeaseLostError)) throw error
        }
      }),
    )
    this.held.clear()
  }

  /** A take pass now, unless one is running. */
  private takeNow(): void {
    if (this.stopped) return
    this.takePass ??= this.takeLeases().finally(() => (this.takePass = undefined))
  }

  private async renewAll(): Promise<void> {
    await Promise.all(
      [...this.held.values()].map(async (held) => {
        const sentAt = nowMs()
        try {
          held.lease.leaseCounter = await this.table.renew(held.lease.leaseKey, this.worker, held.lease.leaseCounter)
          held.renewedAt = sentAt
          this.stats.renewals++
        } catch (error) {
          // Another worker took it; any other failure is retried at the next renewal (holds() bounds how long it may act).
          if (error instanceof LeaseLostError) this.drop(held.lease.shardId)
        }
      }),
    )
  }

  /** One pass of KCL's lease taker: the free and expired leases up to this worker's share, else one stolen. */
  private async takeLeases(): Promise<void> {
    if (this.stopped) return
    let leases: Lease[]
    try {
      leases = await this.table.list()
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') throw error
      return
    }
    const now = nowMs()
    const expired: Lease[] = []
    const byOwner = new Map<string, Lease[]>()
    // A finished shard (SHARD_END) has nothing left to read: nobody takes it, and it counts in no share.
    // A reshard's child waits until every parent with a lease is finished: a key's older records come first.
    const finished = new Set(leases.filter((lease) => lease.checkpoint === SHARD_END).map((lease) => lease.shardId))
    const leased = new Set(leases.map((lease) => lease.shardId))
    leases = leases.filter((lease) => lease.checkpoint !== SHARD_END && lease.parentShardIds.every((parent) => finished.has(parent) || !leased.has(parent)))
    for (const lease of leases) {
      const seen = this.seen.get(lease.leaseKey)
      if (!seen || seen.counter !== lease.leaseCounter) this.seen.set(lease.leaseKey, { counter: lease.leaseCounter, movedAt: now })
      if (lease.leaseOwner === this.worker) {
        // Ours in the table, not held here: dropped when no renewal landed within the failover time (a
        // stalled call). Nobody else reads it, and no other worker takes it before it expires: take it back
        // now (conditional on its counter, so not if another worker took it meanwhile).
        if (!this.held.has(lease.shardId)) expired.push(lease)
        continue
      }
      const isExpired = lease.leaseOwner === undefined || (seen !== undefined && seen.counter === lease.leaseCounter && now - seen.movedAt >= this.settings.failoverMs)
      if (isExpired) expired.push(lease)
      else byOwner.set(lease.leaseOwner!, [...(byOwner.get(lease.leaseOwner!) ?? []), lease])
    }
    const workers = Math.max(this.settings.expectedWorkers, byOwner.size + 1)
    const share = Math.ceil(leases.length / workers)
    let wanted = share - this.held.size
    // A dead worker's shards are read by nobody: they are taken whatever the share (unlike KCL, which
    // takes up to its share only), and steals even the load out afterwards. Free ones, up to the share.
    for (const lease of shuffled(expired)) {
      const free = lease.leaseOwner === undefined
      if (free && wanted <= 0) continue
      if (await this.tryTake(lease, free ? 'free' : lease.leaseOwner === this.worker ? 'reclaimed' : 'expired', now)) wanted--
    }
    if (wanted <= 0 || expired.some((lease) => lease.leaseOwner !== undefined)) return
    // Nothing free: one lease from the worker holding the most, if that evens things out.
    const [, richest] = [...byOwner].sort((a, b) => b[1].length - a[1].length)[0] ?? []
    if (richest && richest.length - this.held.size >= 2) await this.tryTake(richest[Math.floor(Math.random() * richest.length)], 'stolen', now)
  }

  private async tryTake(lease: Lease, how: 'free' | 'expired' | 'stolen' | 'reclaimed', now: number): Promise<boolean> {
    const unmovedMs = now - (this.seen.get(lease.leaseKey)?.movedAt ?? now)
    const sentAt = nowMs()
    const taken = await this.table.take(lease, this.worker).catch(() => undefined)
    if (!taken) return false
    // Kept even when a stop began meanwhile: the stop gives back whatever is held.
    this.held.set(taken.shardId, { lease: taken, renewedAt: sentAt, takenAt: Date.now() })
    this.seen.set(taken.leaseKey, { counter: taken.leaseCounter, movedAt: nowMs() })
    this.stats.taken++
    if (how === 'stolen') this.stats.stolen++
    if (how === 'reclaimed') this.stats.reclaimed++
    if (how === 'expired') {
      this.stats.takenExpired++
      this.stats.takeovers.push({ from: lease.leaseOwner!, atMs: Date.now(), unmovedMs: Math.round(unmovedMs) })
    }
    if (!this.stopped) this.events?.acquired(taken.shardId, taken.checkpoint)
    return true
  }

  /** Renewed within the failover time; past it, dropped (another worker may take it now). */
  private fresh(held: Held): boolean {
    if (nowMs() - held.renewedAt < this.settings.failoverMs) return true
    this.drop(held.lease.shardId)
    return false
  }

  private drop(shardId: string): void {
    if (!this.held.delete(shardId)) return
    this.stats.lost++
    this.events?.lost(shardId)
  }
}

function shuffled<T>(items: T[]): T[] {
  const copy = items.slice()
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j], copy[i]]
  }
  return copy
}
