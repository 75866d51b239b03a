import { DescribeStreamSummaryCommand, UpdateShardCountCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { withRetries } from '../aws/backoff.js'
import { nowMs, sleep } from '../util/clock.js'

const ACTIVE_POLL_MS = 1_000
/** AWS takes seconds to minutes per reshard, longer with many shards. */
const ACTIVE_TIMEOUT_MS = 15 * 60_000

/**
 * UpdateShardCount (UNIFORM_SCALING) to `shards` open shards, retried while throttled, then
 * DescribeStreamSummary until the stream is ACTIVE with that count. Returns the retries.
 */
export async function reshardStream(kinesis: Pick<KinesisClient, 'send'>, stream: string, shards: number, signal: AbortSignal): Promise<{ retries: number }> {
  let retries = 0
  const update = new UpdateShardCountCommand({ StreamName: stream, TargetShardCount: shards, ScalingType: 'UNIFORM_SCALING' })
  await withRetries(() => kinesis.send(update), { onRetry: () => retries++, signal })
  const deadline = nowMs() + ACTIVE_TIMEOUT_MS
  for (;;) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
    if (summary?.StreamStatus === 'ACTIVE' && summary.OpenShardCount === shards) return { retries }
    if (nowMs() > deadline) throw new Error(`the stream was not ACTIVE with ${shards} open shards after ${ACTIVE_TIMEOUT_MS / 60_000} minutes`)
    await sleep(ACTIVE_POLL_MS, signal)
    if (signal.aborted) throw new Error('the run stopped before the stream was ACTIVE again')
  }
}
