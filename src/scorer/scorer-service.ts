import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type _Record,
} from '@aws-sdk/client-kinesis'
import { errorName, isRetryable, isThrottling, backoffDelayMs } from '../aws/backoff.js'
import { createAwsClients, type AwsClients } from '../stack/aws-clients.js'
import type { AwsEndpoints } from '../aws/endpoints.js'
import { FeatureEngine, type FeatureMemory } from '../features/feature-engine.js'
import { FEATURE_COUNT } from '../features/feature-names.js'
import { FeaturesLog } from '../decision/features-log.js'
import { BatchingProducer } from '../stream/batching-producer.js'
import type { Decision } from '../schema/decision.js'
import { TransactionSchema, type Transaction } from '../schema/transaction.js'
import type { ResourceNames } from '../stack/resource-names.js'
import { nowMs, sleep } from '../util/clock.js'
import { BlockActions, type ActionStats, type BlockAction } from './block-actions.js'
import { CheckpointStore } from '../stream/checkpoint-store.js'
import { BoundedMap } from '../util/bounded-map.js'
import { loadScoreModel } from '../decision/load-score-model.js'
import type { ScoreModel } from '../decision/score-model.js'

export interface ScorerConfig {
  endpoints: AwsEndpoints
  names: ResourceNames
  alertsTopicArn: string
  pollIntervalMs: number
  /** How often each shard's position is saved; a restart replays at most this much. */
  checkpointIntervalMs: number
  consumerName: string
  scorerId: string
  /** `rules`, or the path of an ONNX model with its card beside it. */
  model: string
  /** Writes each transaction's features, as computed here, to this NDJSON file (train/serve checks). */
  featuresLogPath?: string
}

export interface ScorerStats {
  recordsRead: number
  decisionsEmitted: number
  blocks: number
  invalidRecords: number
  /** Records whose transaction id this process had already decided (redelivery). */
  duplicatesSkipped: number
  getRecordsCalls: number
  throttled: number
  retried: number
  checkpointsWritten: number
  decisionsFailed: number
  millisBehindLatest: Record<string, number>
  /** Cumulative wall time per phase of the shard loops (they overlap across shards). */
  phaseMs: { getRecords: number; score: number; actions: number; emitDecisions: number; checkpoint: number }
  actions: ActionStats
  modelVersion: string
  features: FeatureMemory
}

const GET_RECORDS_LIMIT = 10_000

/**
 * Reads every shard of the transactions stream from its checkpoint, scores each transaction, acts
 * on blocks, writes one decision per transaction to the decisions stream, and checkpoints. Effects
 * happen before the checkpoint that covers them, so a crash means replay, never loss.
 */
export class ScorerService {
  readonly stats: ScorerStats
  private readonly clients: AwsClients
  private readonly features = new FeatureEngine()
  private featuresLog?: FeaturesLog
  private featureMemoryAt = 0
  private readonly decided = new BoundedMap<string, true>(1_000_000)
  private readonly actions: BlockActions
  private readonly checkpoints: CheckpointStore
  private readonly decisionsProducer: BatchingProducer<undefined>
  private scorer?: ScoreModel
  /** Records that reached Kinesis before this process started may have been acted on by a predecessor. */
  private readonly startedAtMs = Date.now()

  constructor(
    private readonly config: ScorerConfig,
    options: { scorer?: ScoreModel; clients?: AwsClients } = {},
  ) {
    this.clients = options.clients ?? createAwsClients(config.endpoints)
    this.scorer = options.scorer
    this.actions = new BlockActions(this.clients, config.names.blockListTable, config.alertsTopicArn)
    this.checkpoints = new CheckpointStore(this.clients.dynamodb, config.names.checkpointsTable, config.consumerName)
    this.decisionsProducer = new BatchingProducer(this.clients.kinesis, config.names.decisionsStream, {}, { lingerMs: 2, maxInFlightRequests: 4 })
    this.stats = {
      recordsRead: 0,
      decisionsEmitted: 0,
      blocks: 0,
      invalidRecords: 0,
      duplicatesSkipped: 0,
      getRecordsCalls: 0,
      throttled: 0,
      retried: 0,
      checkpointsWritten: 0,
      decisionsFailed: 0,
      millisBehindLatest: {},
      phaseMs: { getRecords: 0, score: 0, actions: 0, emitDecisions: 0, checkpoint: 0 },
      actions: this.actions.stats,
      modelVersion: options.scorer?.modelVersion ?? '',
      features: this.features.memory(),
    }
  }

  /** Runs until `signal` aborts, then finishes the batch in hand and checkpoints it. */
  async run(signal: AbortSignal): Promise<void> {
    this.scorer ??= await loadScoreModel(this.config.model)
    this.stats.modelVersion = this.scorer.modelVersion
    if (this.config.featuresLogPath) this.featuresLog = new FeaturesLog(this.config.featuresLogPath)
    const shardIds = await this.listShards()
    await Promise.all(shardIds.map((shardId) => this.consumeShard(shardId, signal)))
  }

  async close(): Promise<void> {
    this.featuresLog?.close()
    await this.scorer?.close?.()
    this.clients.destroy()
  }

  private async listShards(): Promise<string[]> {
    const ids: string[] = []
    let nextToken: string | undefined
    do {
      const output = await this.clients.kinesis.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.config.names.transactionsStream }),
      )
      for (const shard of output.Shards ?? []) if (shard.ShardId) ids.push(shard.ShardId)
      nextToken = output.NextToken
    } while (nextToken)
    return ids
  }

  private async iteratorAfter(shardId: string, sequenceNumber: string | undefined): Promise<string> {
    const output = await this.clients.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.config.names.transactionsStream,
        ShardId: shardId,
        ...(sequenceNumber
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    )
    if (!output.ShardIterator) throw new Error(`no shard iterator for ${shardId}`)
    return output.ShardIterator
  }

  private async consumeShard(shardId: string, signal: AbortSignal): Promise<void> {
    const stream = this.config.names.transactionsStream
    let lastSequence = await this.checkpoints.read(stream, shardId)
    let checkpointed = lastSequence
    let iterator: string | undefined = await this.iteratorAfter(shardId, lastSequence)
    let lastCheckpointAt = nowMs()
    let failures = 0
    let lastCallAt = -Infinity
    while (iterator && !signal.aborted) {
      let output: GetRecordsCommandOutput
      // Kinesis serves 5 GetRecords calls a second per shard: calls are spaced by the poll interval
      // (200 ms by default), whether or not the last one returned records.
      const wait = lastCallAt + this.config.pollIntervalMs - nowMs()
      if (wait > 0) await sleep(wait, signal)
      if (signal.aborted) break
      lastCallAt = nowMs()
      try {
        this.stats.getRecordsCalls++
        const calledAt = nowMs()
        output = await this.clients.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }))
        this.stats.phaseMs.getRecords += nowMs() - calledAt
        this.stats.retried += Math.max(0, (output.$metadata.attempts ?? 1) - 1)
        failures = 0
      } catch (error) {
        if (signal.aborted) break
        if (errorName(error) === 'ExpiredIteratorException') {
          iterator = await this.iteratorAfter(shardId, lastSequence)
          continue
        }
        if (!isRetryable(error) || ++failures > 20) throw error
        if (isThrottling(error)) this.stats.throttled++
        this.stats.retried++
        await sleep(backoffDelayMs(failures, Math.random, 100, 5_000), signal)
        continue
      }
      this.stats.millisBehindLatest[shardId] = output.MillisBehindLatest ?? 0
      const records = output.Records ?? []
      if (records.length) {
        await this.process(records)
        lastSequence = records[records.length - 1].SequenceNumber
      }
      if (lastSequence && lastSequence !== checkpointed && nowMs() - lastCheckpointAt >= this.config.checkpointIntervalMs) {
        const startedAt = nowMs()
        await this.checkpoints.write(stream, shardId, lastSequence, this.config.scorerId)
        this.stats.checkpointsWritten++
        checkpointed = lastSequence
        lastCheckpointAt = nowMs()
        this.stats.phaseMs.checkpoint += lastCheckpointAt - startedAt
      }
      iterator = output.NextShardIterator
    }
    if (lastSequence && lastSequence !== checkpointed) {
      await this.checkpoints.write(stream, shardId, lastSequence, this.config.scorerId)
      this.stats.checkpointsWritten++
    }
  }

  private async process(records: _Record[]): Promise<void> {
    const fetchedAt = nowMs()
    const decisions: Decision[] = []
    const blocks: BlockAction[] = []
    const replayed: Array<{ transaction: Transaction; decision: Decision }> = []
    const transactions: Transaction[] = []
    const arrivals: number[] = []
    // Per call: shard loops run this concurrently, and scoring awaits.
    const featureRows = new Float64Array(records.length * FEATURE_COUNT)
    for (const record of records) {
      this.stats.recordsRead++
      const arrivedAt = record.ApproximateArrivalTimestamp?.getTime() ?? fetchedAt
      const parsed = parseTransaction(record.Data)
      if (!parsed.ok) {
        this.stats.invalidRecords++
        if (parsed.id && !this.decided.get(parsed.id)) {
          this.decided.set(parsed.id, true)
          decisions.push(this.decision(parsed.id, { score: 0, verdict: 'reject', reasons: [parsed.reason] }, arrivedAt, fetchedAt, 'none'))
        }
        continue
      }
      const tx = parsed.transaction
      if (this.decided.get(tx.id)) {
        this.stats.duplicatesSkipped++
        continue
      }
      this.decided.set(tx.id, true)
      this.features.observe(tx, featureRows, transactions.length * FEATURE_COUNT)
      transactions.push(tx)
      arrivals.push(arrivedAt)
    }
    this.featuresLog?.write(transactions, featureRows)
    const scorer = this.scorer!
    const results = await scorer.scoreBatch(transactions, featureRows)
    for (let i = 0; i < transactions.length; i++) {
      const tx = transactions[i]
      const decision = this.decision(tx.id, results[i], arrivals[i], fetchedAt, scorer.modelVersion)
      decisions.push(decision)
      if (decision.verdict === 'block') blocks.push({ transaction: tx, decision })
      else if (arrivals[i] < this.startedAtMs) replayed.push({ transaction: tx, decision })
    }
    const scoredAt = nowMs()
    this.stats.phaseMs.score += scoredAt - fetchedAt
    await this.honourEarlierBlocks(replayed, blocks)
    this.stats.blocks += blocks.length
    if (nowMs() - this.featureMemoryAt > 5_000) {
      // Sampling the state's memory walks a few hundred entries: worth it every few seconds, not every batch.
      this.stats.features = this.features.memory()
      this.featureMemoryAt = nowMs()
    }
    await this.actions.apply(blocks)
    const actedAt = nowMs()
    this.stats.phaseMs.actions += actedAt - scoredAt
    for (const decision of decisions) {
      decision.timestamps.actedAt = actedAt
      this.decisionsProducer.put(undefined, decision.transactionId, Buffer.from(JSON.stringify(decision)))
    }
    await this.decisionsProducer.flush()
    this.stats.phaseMs.emitDecisions += nowMs() - actedAt
    const producerStats = this.decisionsProducer.stats
    this.stats.decisionsEmitted = producerStats.recordsAcked
    this.stats.decisionsFailed = producerStats.recordsFailed
    if (this.decisionsProducer.fatalError) throw this.decisionsProducer.fatalError
    if (producerStats.recordsFailed > 0) {
      // Checkpointing past a decision that never reached the stream would lose it: stop instead,
      // so that a restart replays from the last checkpoint.
      throw new Error(`${producerStats.recordsFailed} decisions could not be written to ${this.config.names.decisionsStream}`)
    }
  }

  /**
   * After a restart the replayed records are scored with less feature history than the first time,
   * so a verdict can change. A block already in the BlockList is an effect that happened: the
   * decision says block too (and the alert is re-checked), so effects and decisions agree.
   */
  private async honourEarlierBlocks(replayed: Array<{ transaction: Transaction; decision: Decision }>, blocks: BlockAction[]): Promise<void> {
    if (replayed.length === 0) return
    const blocked = await this.actions.alreadyBlocked(replayed.map((r) => r.transaction))
    for (const { transaction, decision } of replayed) {
      if (!blocked.has(transaction.id)) continue
      decision.verdict = 'block'
      decision.reasons = [...decision.reasons, 'already-blocked']
      blocks.push({ transaction, decision })
    }
  }

  private decision(transactionId: string, result: { score: number; verdict: Decision['verdict']; reasons: string[] }, arrivedAt: number, fetchedAt: number, modelVersion: string): Decision {
    return {
      transactionId,
      score: result.score,
      verdict: result.verdict,
      reasons: result.reasons,
      modelVersion,
      scorerId: this.config.scorerId,
      timestamps: { arrivedAt, fetchedAt, scoredAt: nowMs(), actedAt: 0 },
    }
  }
}

type ParseResult = { ok: true; transaction: Transaction } | { ok: false; id?: string; reason: string }

/** Validates a record where it enters the scorer; a record with labels or junk is refused here. */
export function parseTransaction(data: Uint8Array | undefined): ParseResult {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(data ?? new Uint8Array()).toString('utf8'))
  } catch {
    return { ok: false, reason: 'invalid: not JSON' }
  }
  const result = TransactionSchema.safeParse(json)
  if (result.success) return { ok: true, transaction: result.data }
  const id = typeof (json as { id?: unknown })?.id === 'string' ? (json as { id: string }).id : undefined
  const issue = result.error.issues[0]
  return { ok: false, id, reason: `invalid: ${issue.path.join('.') || 'record'}: ${issue.message}`.slice(0, 200) }
}
