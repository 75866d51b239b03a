import type { CheckpointStore } from './checkpoint-store.js'
import { LeaseLostError } from './lease-table.js'
import type { HeldLease, LeaseCoordinator } from './lease-coordinator.js'

/** A shard a reader holds: where to resume (after `checkpoint`; undefined: from the reader's start), and its lease. */
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
