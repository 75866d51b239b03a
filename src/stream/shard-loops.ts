import type { ChildShard, KinesisClient, StartingPosition } from '@aws-sdk/client-kinesis'
import type { CheckpointStore } from './checkpoint-store.js'
import { LATEST, LeaseLostError, TRIM_HORIZON, type ShardLineage } from './lease-table.js'
import type { HeldLease, LeaseCoordinator } from './lease-coordinator.js'
import { listShards } from './shard-map.js'

/** A shard a reader holds: where to resume (see startingPosition), and its lease. */
export interface OwnedShard {
  shardId: string
  checkpoint: string | undefined
  lease: HeldLease
}

/** A reading loop's checkpoints, into its own taking of the lease (where it resumes came with the lease). */
export function leaseCheckpoints(lease: HeldLease): Pick<CheckpointStore, 'write'> {
  return { write: (_shardId, sequenceNumber) => lease.checkpoint(sequenceNumber) }
}

/**
 * Runs one reading loop per shard this worker holds a lease on, until `signal` aborts: each loop
 * starts when its lease is taken and is stopped (its own signal aborted) when the lease is lost.
 * A loop that ends with LeaseLostError (a checkpoint refused) ends quietly: the next owner resumes
 * from the last checkpoint. Resolves once every loop has finished.
 */
export async function runLeasedShardLoops(signal: AbortSignal, leases: LeaseCoordinator, loop: (shard: OwnedShard, signal: AbortSignal) => Promise<void>): Promise<void> {
  const running = new Map<string, { abort: AbortController; done: Promise<void> }>()
  /** Shards taken again while their last loop was still stopping: started once it has. */
  const retaken = new Map<string, Omit<OwnedShard, 'lease'>>()
  let failure: { error: unknown } | undefined
  let wake: () => void = () => {}
  const start = ({ shardId, checkpoint }: Omit<OwnedShard, 'lease'>) => {
    if (signal.aborted) return
    if (running.has(shardId)) {
      retaken.set(shardId, { shardId, checkpoint })
      return
    }
    const lease = leases.taking(shardId)
    if (!lease) return
    const shard = { shardId, checkpoint, lease }
    const abort = new AbortController()
    const stop = () => abort.abort()
    signal.addEventListener('abort', stop, { once: true })
    const done = loop(shard, abort.signal)
      .catch((error: unknown) => {
        // A loop that found its lease gone ends quietly; the next owner resumes from the checkpoint.
        if (!(error instanceof LeaseLostError)) failure ??= { error }
      })
      .finally(() => {
        signal.removeEventListener('abort', stop)
        running.delete(shard.shardId)
        const again = retaken.get(shard.shardId)
        retaken.delete(shard.shardId)
        if (again && !failure) start(again)
        wake()
      })
    running.set(shard.shardId, { abort, done })
  }
  const held = leases.listen({
    acquired: (shardId, checkpoint) => start({ shardId, checkpoint }),
    lost: (shardId) => {
      retaken.delete(shardId)
      running.get(shardId)?.abort.abort()
    },
  })
  for (const shard of held) start(shard)
  const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
  while (!signal.aborted && !failure) await Promise.race([aborted, new Promise<void>((resolve) => (wake = resolve))])
  if (failure) for (const { abort } of running.values()) abort.abort()
  while (running.size) await Promise.all([...running.values()].map(({ done }) => done))
  if (failure) throw failure.error
}

/**
 * Where a reader starts in a shard: after a checkpoint's sequence number, at the sentinel a lease
 * holds (TRIM_HORIZON, LATEST: a reshard's children start at TRIM_HORIZON whatever the reader's
 * own start), or, with no checkpoint, at the reader's start.
 */
export function startingPosition(checkpoint: string | undefined, startAt: 'TRIM_HORIZON' | 'LATEST'): StartingPosition {
  if (checkpoint === undefined) return { Type: startAt }
  if (checkpoint === TRIM_HORIZON || checkpoint === LATEST) return { Type: checkpoint }
  return { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint }
}

/**
 * The shards that took over a closed shard's keys: as the end of the shard named them
 * (GetRecords' and SubscribeToShard's ChildShards), or, where a service names none, as ListShards does.
 */
export async function childShardsOf(kinesis: Pick<KinesisClient, 'send'>, stream: string, shardId: string, named: ChildShard[] | undefined): Promise<ShardLineage[]> {
  if (named?.length) return named.filter((child) => child.ShardId).map((child) => ({ shardId: child.ShardId!, parentShardIds: child.ParentShards ?? [shardId] }))
  return (await listShards(kinesis, stream)).filter((shard) => shard.parentShardIds.includes(shardId))
}
