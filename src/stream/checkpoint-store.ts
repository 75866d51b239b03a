import { nowMs } from '../util/clock.js'

/**
 * Where a shard reader keeps the last sequence number it finished, per shard: a scorer's leases
 * (LeaseCoordinator), or a store of a test's own.
 */
export interface CheckpointStore {
  read(shardId: string): Promise<string | undefined>
  write(shardId: string, sequenceNumber: string): Promise<void>
}

/**
 * Saves a shard's position unless it is the one saved last, and marks it saved on `shard` (the
 * position given, not one a page finished during the write): true when it wrote, counted (with its
 * time) in `stats`. The polling reader and the fan-out subscriber both checkpoint through it.
 */
export async function saveCheckpoint(
  store: Pick<CheckpointStore, 'write'> | undefined,
  shard: { shardId: string; checkpointed: string | undefined },
  sequenceNumber: string | undefined,
  stats: { checkpointsWritten: number; checkpointMs: number },
): Promise<boolean> {
  if (!store || !sequenceNumber || sequenceNumber === shard.checkpointed) return false
  const startedAt = nowMs()
  await store.write(shard.shardId, sequenceNumber)
  shard.checkpointed = sequenceNumber
  stats.checkpointsWritten++
  stats.checkpointMs += nowMs() - startedAt
  return true
}
