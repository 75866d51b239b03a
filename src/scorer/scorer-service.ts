import { createReadStream } from 'node:fs'
import { hostname } from 'node:os'
import { createInterface } from 'node:readline'
import { openAwsClients, type AwsClientSet } from '../aws/connection.js'
import type { AwsEndpoints } from '../aws/endpoints.js'
import { DecisionStep, parseTransaction } from '../decision/decision-step.js'
import { loadScoreModel } from '../decision/load-score-model.js'
import { FeaturesLog } from '../decision/features-log.js'
import type { ScoreModel } from '../decision/score-model.js'
import { EMPTY_FEATURE_MEMORY, type FeatureMemory } from '../features/feature-engine.js'
import { FEATURE_COUNT } from '../features/feature-names.js'
import type { ScorerDecision } from '../schema/decision.js'
import type { Transaction } from '../schema/transaction.js'
import { BatchingProducer } from '../stream/batching-producer.js'
import { aggregate } from '../stream/record-aggregation.js'
import { KCL_FAILOVER_MS, LeaseCoordinator, type LeaseStats } from '../stream/lease-coordinator.js'
import { LeaseTable } from '../stream/lease-table.js'
import { createFanOutClient, createKinesisClient, type KinesisDataClient } from '../stream/kinesis-client.js'
import { newShardReaderStats, ShardReader, type ShardBatch, type ShardReaderStats } from '../stream/shard-reader.js'
import { ShardSubscriber } from '../stream/shard-subscriber.js'
import { BoundedMap } from '../util/bounded-map.js'
import { nowMs } from '../util/clock.js'
import { TurnGatherer } from '../util/turn-gatherer.js'
import { BlockActions, type ActionStats, type BlockAction } from './block-actions.js'
import { warmUpCode } from './code-warm-up.js'

/** The streams and tables a scorer reads and writes (a run's resource names have these and more). */
export interface ScorerResources {
  transactionsStream: string
  decisionsStream: string
  blockListTable: string
  leaseTable: string
}

export interface ScorerConfig {
  endpoints: AwsEndpoints
  names: ScorerResources
  alertsTopicArn: string
  pollIntervalMs: number
  /** How records reach the scorer: GetRecords polling, or pushed by enhanced fan-out (SubscribeToShard). */
  consumer?: 'polling' | 'efo'
  /** How often each shard's position is saved; a restart replays at most this much. */
  checkpointIntervalMs: number
  consumerName: string
  /** Tags for the stream consumer when the scorer registers it (`--consumer efo`). */
  consumerTags?: Record<string, string>
  scorerId: string
  /** A lease not renewed for this long is taken by another scorer of the group (KCL's failover time; default 10 s). */
  leaseFailoverMs?: number
  /** Scorers expected in the group (a run's --scorers): the first share each takes before the others hold anything. */
  expectedScorers?: number
  /** `rules`, or the path of an ONNX model with its card beside it. */
  model: string
  /** A second model that scores every transaction beside the first and takes no action (champion/challenger). */
  shadowModel?: string
  /** Writes each transaction's features, as computed here, to this NDJSON file (train/serve checks). */
  featuresLogPath?: string
  /** Transactions (NDJSON, in event-time order) folded into the feature state before reading the stream: no decision, no effect. */
  warmupPath?: string
}

/** The clients a scorer needs; by default it opens its own. */
export type ScorerClients = AwsClientSet<KinesisDataClient>

export interface ScorerStats extends ShardReaderStats {
  recordsRead: number
  decisionsEmitted: number
  blocks: number
  invalidRecords: number
  /** Records whose transaction id this process had already decided (redelivery). */
  duplicatesSkipped: number
  decisionsFailed: number
  /** Transactions of warm-up history folded into the feature state before the stream. */
  warmupTransactions: number
  /** Enhanced fan-out's pushes decided together: the groups decided, and the pushes in them. */
  gathered: { groups: number; items: number }
  /** The shards' leases: taken, stolen, lost, and each takeover of a dead scorer's. */
  leases: LeaseStats
  /** Transactions decided but not acted on: their shard's lease had moved to another scorer meanwhile. */
  leaseLostSkipped: number
  /** Cumulative wall time per step of handling a page (shard loops overlap). */
  phaseMs: { score: number; actions: number; emitDecisions: number }
  actions: ActionStats
  modelVersion: string
  shadowModelVersion?: string
  features: FeatureMemory
}

const GET_RECORDS_LIMIT = 10_000
/**
 * Transaction ids remembered for dropping redeliveries: a producer retries a record for at most
 * 30 s, which is 300,000 transactions at 10,000/s (a restart starts with an empty memory anyway;
 * the BlockList's conditional writes and the collector's dedup cover what falls outside).
 */
const DEDUP_WINDOW_IDS = 300_000
const PAGES_IN_FLIGHT = 3

/** Counts one page's aggregated decision records down as the writer acknowledges them. */
class DecisionsOfPage {
  failed = 0
  readonly done: Promise<void>
  private remaining = 0
  private sealed = false
  private resolve!: () => void

  constructor() {
    this.done = new Promise((resolve) => (this.resolve = resolve))
  }

  add(records: number): void {
    this.remaining += records
  }

  /** No more records will be added: done once those added are settled. */
  seal(): void {
    this.sealed = true
    if (this.remaining === 0) this.resolve()
  }

  settle(failed: boolean): void {
    if (failed) this.failed++
    if (--this.remaining === 0 && this.sealed) this.resolve()
  }
}

/** One aggregated record of decisions, as the writer carries it. */
interface DecisionChunk {
  page: DecisionsOfPage
  decisions: number
}

/**
 * The scorer: a Kinesis consumer around the decision step. The shard reader hands it each page of
 * transactions; it decides, acts on blocks, writes one decision per transaction to the decisions
 * stream, and returns, after which the reader checkpoints. Effects happen before the checkpoint
 * that covers them, so a crash means replay, never loss.
 */
export class ScorerService {
  readonly stats: ScorerStats
  private readonly clients: ScorerClients
  private readonly givenModel?: ScoreModel
  private step?: DecisionStep
  private featureMemoryAt = 0
  private readonly decided = new BoundedMap<string, true>(DEDUP_WINDOW_IDS)
  private readonly actions: BlockActions
  private readonly reader: ShardReader | ShardSubscriber
  /** This process' share of the shards: one lease per shard, shared with the other scorers of the group. */
  private readonly leases: LeaseCoordinator
  private readonly fanOutClient?: KinesisDataClient
  private readonly decisionsProducer: BatchingProducer<DecisionChunk>
  /**
   * Enhanced fan-out's pushes of several shards handed in one turn of the event loop (read from
   * the HTTP/2 session together) are decided together: one model call and one decisions write for
   * all, instead of one per shard. Nothing waits for a push still to come.
   */
  private readonly pages = new TurnGatherer<ShardBatch>((batches) => this.decideAndAct(batches))

  constructor(
    private readonly config: ScorerConfig,
    options: { model?: ScoreModel; clients?: ScorerClients } = {},
  ) {
    this.clients = options.clients ?? openAwsClients(config.endpoints, createKinesisClient)
    this.givenModel = options.model
    this.actions = new BlockActions(this.clients, config.names.blockListTable, config.alertsTopicArn)
    // Each page waits for its own decisions only: a flush of the whole writer would wait on every shard's.
    this.decisionsProducer = new BatchingProducer<DecisionChunk>(
      this.clients.kinesis,
      config.names.decisionsStream,
      {
        onAcked: (chunk) => {
          this.stats.decisionsEmitted += chunk.decisions
          chunk.page.settle(false)
        },
        onFailed: (chunk) => {
          this.stats.decisionsFailed += chunk.decisions
          chunk.page.settle(true)
        },
      },
      // An allow is timed as taking effect when handed to this writer (actedAt), so the writer barely
      // lingers: a longer wait would be real latency the decision latency does not show.
      { lingerMs: 1, maxInFlightRequests: 8 },
    )
    // A worker is one process: a restarted scorer is a new worker, and its predecessor's leases move when they expire.
    const leaseTable = new LeaseTable(this.clients.dynamodb, config.names.leaseTable, { consumerName: config.consumerName, stream: config.names.transactionsStream })
    this.leases = new LeaseCoordinator(leaseTable, scorerWorkerId(config.scorerId, process.pid), {
      failoverMs: config.leaseFailoverMs ?? KCL_FAILOVER_MS,
      expectedWorkers: config.expectedScorers,
    })
    this.stats = {
      ...newShardReaderStats(),
      recordsRead: 0,
      decisionsEmitted: 0,
      blocks: 0,
      invalidRecords: 0,
      duplicatesSkipped: 0,
      decisionsFailed: 0,
      warmupTransactions: 0,
      gathered: this.pages.stats,
      leases: this.leases.stats,
      leaseLostSkipped: 0,
      phaseMs: { score: 0, actions: 0, emitDecisions: 0 },
      actions: this.actions.stats,
      modelVersion: options.model?.modelVersion ?? '',
      features: EMPTY_FEATURE_MEMORY,
    }
    // Pushes are small and many (one per shard every 20 ms or so): gathered. Polled pages are large
    // already, and gathering them would only make the first wait for the others.
    const handler = config.consumer === 'efo' ? (batch: ShardBatch) => this.pages.add(batch) : (batch: ShardBatch) => this.decideAndAct([batch])
    if (config.consumer === 'efo') {
      this.fanOutClient = createFanOutClient(config.endpoints)
      this.reader = new ShardSubscriber({
        kinesis: this.clients.kinesis,
        subscriber: this.fanOutClient,
        stream: config.names.transactionsStream,
        consumerName: config.consumerName,
        consumerTags: config.consumerTags,
        handler,
        startAt: 'TRIM_HORIZON',
        leases: this.leases,
        checkpointIntervalMs: config.checkpointIntervalMs,
        pagesInFlight: PAGES_IN_FLIGHT,
        stats: this.stats,
      })
    } else {
      this.reader = new ShardReader({
        kinesis: this.clients.kinesis,
        stream: config.names.transactionsStream,
        handler,
        startAt: 'TRIM_HORIZON',
        leases: this.leases,
        checkpointIntervalMs: config.checkpointIntervalMs,
        pollIntervalMs: config.pollIntervalMs,
        recordsPerCall: GET_RECORDS_LIMIT,
        // The next page is fetched while this one's blocks and decisions are written.
        pagesInFlight: PAGES_IN_FLIGHT,
        stats: this.stats,
      })
    }
  }

  /**
   * Runs until `signal` aborts, then finishes the batch in hand, checkpoints it and gives its leases
   * back. `onReady` is called once the model is loaded, the warm-up history folded in and this
   * scorer's first share of the shards taken.
   */
  async run(signal: AbortSignal, onReady?: () => void): Promise<void> {
    const model = this.givenModel ?? (await loadScoreModel(this.config.model))
    const shadow = this.config.shadowModel === undefined ? undefined : await loadScoreModel(this.config.shadowModel)
    await warmUpCode(model, shadow)
    this.step = new DecisionStep(model, this.config.featuresLogPath ? new FeaturesLog(this.config.featuresLogPath) : undefined, shadow)
    this.stats.modelVersion = this.step.modelVersion
    this.stats.shadowModelVersion = this.step.shadowModelVersion
    if (this.config.warmupPath) this.stats.warmupTransactions = await foldHistory(this.step, this.config.warmupPath)
    this.stats.features = this.step.features.memory()
    await this.reader.open()
    onReady?.()
    await this.reader.run(signal)
    await this.actions.flushMarks()
    await this.leases.stop()
  }

  async close(): Promise<void> {
    await this.step?.close()
    this.fanOutClient?.destroy()
    this.clients.destroy()
  }

  /** Pages of transactions: decide, act on the blocks, write the decisions; the readers checkpoint after. */
  private async decideAndAct(pages: ShardBatch[]): Promise<void> {
    let decisions: ScorerDecision[] = []
    let blocks: BlockAction[] = []
    let replayed: Array<{ transaction: Transaction; decision: ScorerDecision }> = []
    const transactions: Transaction[] = []
    const arrivals: number[] = []
    const fetches: number[] = []
    /**
     * Each page's share of the batch, kept per page rather than per transaction: its transactions
     * [txFrom, txTo), its reject decisions [rejectFrom, rejectTo), and when this scorer took its
     * shard (a record that reached Kinesis before may have been acted on by a previous owner).
     */
    const spans: Array<{ page: ShardBatch; takenAt: number; txFrom: number; txTo: number; rejectFrom: number; rejectTo: number }> = []
    for (const page of pages) {
      const { records, fetchedAtMs: fetchedAt, stillHeld } = page
      if (stillHeld && !stillHeld()) {
        this.stats.leaseLostSkipped += records.length
        continue
      }
      const span = { page, takenAt: this.leases.takenAt(page.shardId), txFrom: transactions.length, txTo: 0, rejectFrom: decisions.length, rejectTo: 0 }
      for (const record of records) {
        this.stats.recordsRead++
        const arrivedAt = record.ApproximateArrivalTimestamp?.getTime() ?? fetchedAt
        const parsed = parseTransaction(record.Data)
        if (!parsed.ok) {
          this.stats.invalidRecords++
          if (parsed.id && this.decided.claim(parsed.id, true)) {
            decisions.push(this.decision(parsed.id, { score: 0, verdict: 'reject', reasons: [parsed.reason] }, arrivedAt, fetchedAt, 'none'))
          }
          continue
        }
        const tx = parsed.transaction
        if (!this.decided.claim(tx.id, true)) {
          this.stats.duplicatesSkipped++
          continue
        }
        transactions.push(tx)
        arrivals.push(arrivedAt)
        fetches.push(fetchedAt)
      }
      span.txTo = transactions.length
      span.rejectTo = decisions.length
      spans.push(span)
    }
    const rejects = decisions.length
    const step = this.step!
    const batch = await step.decideWithShadow(transactions)
    // One model call per batch: its time is the batch's, the same on each of its decisions.
    const modelMs = round3(batch.modelMs)
    const shadowModelMs = batch.shadow ? round3(batch.shadow.modelMs) : 0
    let span = 0
    for (let i = 0; i < transactions.length; i++) {
      while (i >= spans[span].txTo) span++
      const tx = transactions[i]
      const decision = this.decision(tx.id, batch.scores[i], arrivals[i], fetches[i], step.modelVersion)
      decision.modelMs = modelMs
      if (batch.shadow) {
        const said = batch.shadow.scores[i]
        decision.shadow = { modelVersion: step.shadowModelVersion!, score: said.score, verdict: said.verdict, modelMs: shadowModelMs }
      }
      decisions.push(decision)
      // Only the champion's verdict acts: the shadow's block is a number in the report, never a BlockList item or an alert.
      if (decision.verdict === 'block') blocks.push({ transaction: tx, decision })
      else if (arrivals[i] < spans[span].takenAt) replayed.push({ transaction: tx, decision })
    }
    const scoredAt = nowMs()
    this.stats.phaseMs.score += scoredAt - Math.min(...pages.map((page) => page.fetchedAtMs))
    const lost = spans.filter(({ page }) => page.stillHeld && !page.stillHeld())
    if (lost.length) {
      // Decided while the lease moved: no effect here (the new owner replays from the checkpoint), and
      // forgotten, so that this scorer decides them again if the shard comes back to it.
      const dropped = new Set<ScorerDecision>()
      for (const { txFrom, txTo, rejectFrom, rejectTo } of lost) {
        for (let i = rejectFrom; i < rejectTo; i++) dropped.add(decisions[i])
        for (let i = txFrom; i < txTo; i++) dropped.add(decisions[rejects + i])
      }
      for (const decision of dropped) this.decided.delete(decision.transactionId)
      this.stats.leaseLostSkipped += dropped.size
      decisions = decisions.filter((decision) => !dropped.has(decision))
      blocks = blocks.filter((block) => !dropped.has(block.decision))
      replayed = replayed.filter((entry) => !dropped.has(entry.decision))
    }
    await this.honourEarlierBlocks(replayed, blocks)
    this.stats.blocks += blocks.length
    if (nowMs() - this.featureMemoryAt > 5_000) {
      // Sampling the state's memory walks a few hundred entries: worth it every few seconds, not every batch.
      this.stats.features = step.features.memory()
      this.featureMemoryAt = nowMs()
    }
    // A decision with no effect takes effect when it is written: it does not wait for the blocks' writes.
    const page = new DecisionsOfPage()
    this.emitDecisions(page, blocks.length ? decisions.filter((decision) => decision.verdict !== 'block') : decisions)
    if (blocks.length) {
      await this.actions.apply(blocks)
      this.stats.phaseMs.actions += nowMs() - scoredAt
      this.emitDecisions(page, blocks.map((block) => block.decision))
    }
    page.seal()
    await page.done
    this.stats.phaseMs.emitDecisions += nowMs() - scoredAt
    if (this.decisionsProducer.fatalError) throw this.decisionsProducer.fatalError
    if (page.failed > 0) {
      // Checkpointing past a decision that never reached the stream would lose it: stop instead,
      // so that a restart replays from the last checkpoint.
      throw new Error(`${page.failed} aggregated decision records could not be written to ${this.config.names.decisionsStream}`)
    }
  }

  /**
   * Writes decisions as aggregated records (the KPL's format: fewer, fatter Kinesis records; the
   * collector de-aggregates), each stamped with the moment it takes effect.
   */
  private emitDecisions(page: DecisionsOfPage, decisions: ScorerDecision[]): void {
    if (decisions.length === 0) return
    const actedAt = nowMs()
    const records = decisions.map((decision) => {
      decision.timestamps.actedAt = actedAt
      return { partitionKey: decision.transactionId, data: Buffer.from(JSON.stringify(decision)) }
    })
    const chunks = aggregate(records)
    page.add(chunks.length)
    for (const chunk of chunks) this.decisionsProducer.put({ page, decisions: chunk.userRecords }, chunk.partitionKey, chunk.data)
  }

  /**
   * Records replayed after a restart or a lease that moved are scored with less feature history than the first time,
   * so a verdict can change. A block already in the BlockList is an effect that happened: the
   * decision says block too (and the alert is re-checked), so effects and decisions agree.
   */
  private async honourEarlierBlocks(replayed: Array<{ transaction: Transaction; decision: ScorerDecision }>, blocks: BlockAction[]): Promise<void> {
    if (replayed.length === 0) return
    const blocked = await this.actions.alreadyBlocked(replayed.map((r) => r.transaction))
    for (const { transaction, decision } of replayed) {
      if (!blocked.has(transaction.id)) continue
      decision.verdict = 'block'
      decision.reasons = [...decision.reasons, 'already-blocked']
      blocks.push({ transaction, decision })
    }
  }

  private decision(transactionId: string, result: { score: number; verdict: ScorerDecision['verdict']; reasons: string[] }, arrivedAt: number, fetchedAt: number, modelVersion: string): ScorerDecision {
    return {
      transactionId,
      score: result.score,
      verdict: result.verdict,
      reasons: result.reasons,
      modelVersion,
      scorerId: this.config.scorerId,
      timestamps: { arrivedAt, fetchedAt, scoredAt: nowMs(), actedAt: 0 },
      // Present on every decision (undefined is left out of the JSON), so all share one object shape.
      modelMs: undefined,
      shadow: undefined,
    }
  }
}

/** A scorer process' name in the lease table: a restarted process is a new worker, as in KCL. */
export function scorerWorkerId(scorerId: string, pid: number, host = hostname()): string {
  return `${scorerId}@${host}:${pid}`
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

/** Folds a history file into the feature state, as if those transactions had been scored (nothing is emitted). */
async function foldHistory(step: DecisionStep, path: string): Promise<number> {
  const row = new Float64Array(FEATURE_COUNT)
  let folded = 0
  let line = 0
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    line++
    if (text === '') continue
    const parsed = parseTransaction(Buffer.from(text))
    if (!parsed.ok) throw new Error(`${path}:${line}: ${parsed.reason}`)
    step.features.observe(parsed.transaction, row)
    folded++
  }
  return folded
}
