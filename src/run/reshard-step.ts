import { UserError } from '../errors/user-error.js'
import type { AwsClients } from '../stack/aws-clients.js'
import { reshardStream } from '../stack/reshard-stream.js'
import { nowMs } from '../util/clock.js'

/** `--reshard AT:COUNT`: the transactions stream goes to COUNT open shards AT into the load. */
export interface ReshardPlan {
  atMs: number
  shards: number
}

/** What happened, for the report's diagnostics and notes. */
export interface ReshardOutcome {
  from: number
  to: number
  /** When UpdateShardCount was sent, from the start of the load. */
  requestedAtLoadMs: number
  /** From the request until the stream was ACTIVE with the new count. */
  activeAfterMs?: number
  /** UpdateShardCount's calls retried (throttling, server errors). */
  retries: number
  error?: string
}

/**
 * Refuses a reshard that cannot happen, before the load: AWS scales a stream from half to double
 * its open shards in one call, and KPL aggregates are packed by the shard map at send time (after
 * a reshard, one key's records could sit in two child shards, out of order).
 */
export function assertReshardable(plan: ReshardPlan, run: { openShards: number; aggregate: boolean; loadWindowMs: number }): void {
  const { openShards } = run
  if (run.aggregate) throw new UserError('--reshard cannot be combined with --aggregate.', { hint: 'Aggregated records are packed for the shards of the moment; run the reshard without --aggregate.' })
  if (plan.shards === openShards) throw new UserError(`--reshard ${plan.shards}: the transactions stream already has ${openShards} open shards.`, { hint: 'Give another count, or drop --reshard.' })
  const low = Math.ceil(openShards / 2)
  const high = openShards * 2
  if (plan.shards < low || plan.shards > high) {
    throw new UserError(`--reshard ${plan.shards}: Kinesis scales a stream of ${openShards} open shards to between ${low} and ${high} in one step.`, { hint: `Give a count from ${low} to ${high}, or set --shards so that ${plan.shards} is within half to double of it.` })
  }
  if (plan.atMs >= run.loadWindowMs) {
    throw new UserError(`--reshard at ${plan.atMs / 1000}s comes after the load ends (${run.loadWindowMs / 1000}s).`, { hint: 'Reshard earlier, or run longer with --duration.' })
  }
}

/**
 * The reshard of a run, at its time into the load (see reshardStream). Readers find the end of
 * each closed shard and go on in its children.
 */
export class ScheduledReshard {
  private outcome?: Promise<ReshardOutcome>
  private cancel = () => {}

  constructor(
    private readonly kinesis: AwsClients['kinesis'],
    private readonly stream: string,
    private readonly plan: ReshardPlan,
    private readonly from: number,
  ) {}

  /** Arms it for its time after the load's start; `signal` (the run stopping) cancels it if it has not begun. */
  arm(loadStartedAtMs: number, signal: AbortSignal): void {
    const due = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), Math.max(0, loadStartedAtMs + this.plan.atMs - nowMs()))
      this.cancel = () => {
        clearTimeout(timer)
        resolve(false)
      }
    })
    signal.addEventListener('abort', () => this.cancel(), { once: true })
    this.outcome = due.then((begun) => (begun ? this.reshard(loadStartedAtMs, signal) : { from: this.from, to: this.from, requestedAtLoadMs: NaN, retries: 0, error: 'the load stopped before its time' }))
  }

  /** Its outcome, once done; one not begun yet is cancelled (the load stopped first). */
  async settle(): Promise<ReshardOutcome | undefined> {
    this.cancel()
    return this.outcome
  }

  private async reshard(loadStartedAtMs: number, signal: AbortSignal): Promise<ReshardOutcome> {
    const requestedAt = nowMs()
    const outcome: ReshardOutcome = { from: this.from, to: this.plan.shards, requestedAtLoadMs: Math.round(requestedAt - loadStartedAtMs), retries: 0 }
    try {
      outcome.retries = (await reshardStream(this.kinesis, this.stream, this.plan.shards, signal)).retries
      outcome.activeAfterMs = Math.round(nowMs() - requestedAt)
    } catch (error) {
      outcome.error = `UpdateShardCount to ${this.plan.shards}: ${(error as Error).message}`
    }
    return outcome
  }
}

/** The report's note on a reshard. */
export function reshardNote(outcome: ReshardOutcome): string {
  if (outcome.error) return `--reshard did not happen: ${outcome.error}`
  return `The transactions stream was resharded from ${outcome.from} to ${outcome.to} open shards ${(outcome.requestedAtLoadMs / 1000).toFixed(1)} s into the load (ACTIVE ${outcome.activeAfterMs} ms after the request${outcome.retries ? `, ${outcome.retries} retries` : ''}); each closed shard was read to its end before its children.`
}
