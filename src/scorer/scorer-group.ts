import { SHARD_END, type LeaseTable } from '../stream/lease-table.js'
import { scorerWorkerId, type ScorerConfig, type ScorerStats } from './scorer-service.js'
import { ScorerSupervisor, sumScorerStats } from './scorer-supervisor.js'

/** Who holds the shards' leases at one moment, against the scorer processes then running. */
export interface LeaseSnapshot {
  /** Shards to read: every lease but the finished ones. */
  shards: number
  /** Shards a reshard closed that were read to their end (SHARD_END): nobody holds them. */
  ended: number
  /** Leases per owner (the worker ids, `scorerId@host:pid`). */
  owners: Record<string, number>
  /** Leases nobody holds. */
  unowned: number
  /** Leases held by a worker that is not one of the running scorers (a dead one, not yet expired). */
  heldByOthers: number
}

/** How long a dead scorer's shards went unread: from its death (its exit, as its supervisor saw it) to each takeover. */
export interface FailoverTimes {
  count: number
  p50Ms: number | null
  maxMs: number | null
}

/** A run's `diagnostics.leases`: who held the shards when the drain ended, and the failovers. */
export type LeaseDiagnostics = LeaseSnapshot & { failover?: FailoverTimes }


/**
 * A run's scorers: N processes, each supervised (restarted when it dies), sharing the shards by
 * lease. With one scorer it is the single supervised process it always was.
 */
export class ScorerGroup {
  readonly members: ScorerSupervisor[]

  constructor(config: ScorerConfig, count: number, maxRestarts?: number) {
    this.members = Array.from({ length: count }, (_, i) => new ScorerSupervisor({ ...config, scorerId: count === 1 ? config.scorerId : `${config.scorerId}-${i + 1}`, expectedScorers: count }, maxRestarts))
  }

  get pids(): number[] {
    return this.members.map((member) => member.pid).filter((pid): pid is number => pid !== undefined)
  }

  get restarts(): number {
    return this.members.reduce((sum, member) => sum + member.restarts, 0)
  }

  get injectedCrashes(): number {
    return this.members.reduce((sum, member) => sum + member.injectedCrashes, 0)
  }

  onFatal(listener: (error: Error) => void): void {
    for (const member of this.members) member.onFatal(listener)
  }

  /** Starts every scorer at once, so that each takes its share of the shards in the first pass. */
  async start(): Promise<void> {
    await Promise.all(this.members.map((member) => member.start()))
  }

  /** Kills one scorer, picked at random among those running (`--inject scorer.crash`). */
  crash(random: () => number = Math.random): boolean {
    const candidates = this.members.slice()
    while (candidates.length) {
      const [member] = candidates.splice(Math.floor(random() * candidates.length), 1)
      if (member.crash()) return true
    }
    return false
  }

  async stop(timeoutMs?: number): Promise<void> {
    await Promise.all(this.members.map((member) => member.stop(timeoutMs)))
  }

  /** The lease table's owners now: every shard should be held by exactly one running scorer. */
  async leases(table: LeaseTable): Promise<LeaseSnapshot> {
    const running = new Set(this.members.flatMap((member) => (member.pid === undefined ? [] : [scorerWorkerId(member.scorerId, member.pid)])))
    const snapshot: LeaseSnapshot = { shards: 0, ended: 0, owners: {}, unowned: 0, heldByOthers: 0 }
    for (const lease of await table.list()) {
      if (lease.checkpoint === SHARD_END) {
        snapshot.ended++
        continue
      }
      snapshot.shards++
      if (lease.leaseOwner === undefined) snapshot.unowned++
      else {
        snapshot.owners[lease.leaseOwner] = (snapshot.owners[lease.leaseOwner] ?? 0) + 1
        if (!running.has(lease.leaseOwner)) snapshot.heldByOthers++
      }
    }
    return snapshot
  }

  /** The failover time of each shard a dead scorer of this group held, measured from its death. */
  failovers(): FailoverTimes {
    const deaths = new Map(this.members.flatMap((member) => member.deaths).map((death) => [death.worker, death.atMs]))
    const times = (this.totals()?.leases.takeovers ?? [])
      .filter((takeover) => deaths.has(takeover.from))
      .map((takeover) => Math.max(0, takeover.atMs - deaths.get(takeover.from)!))
      .sort((a, b) => a - b)
    return { count: times.length, p50Ms: times.length ? times[Math.floor((times.length - 1) / 2)] : null, maxMs: times.at(-1) ?? null }
  }

  /** Every scorer process' stats summed (lag per shard: each shard's latest figure). */
  totals(): ScorerStats | undefined {
    const all = this.members.map((member) => member.totals()).filter((stats): stats is ScorerStats => stats !== undefined)
    if (all.length === 0) return undefined
    return all.reduce((sum, stats) => ({ ...sumScorerStats(sum, stats), millisBehindLatest: { ...sum.millisBehindLatest, ...stats.millisBehindLatest } }))
  }
}
