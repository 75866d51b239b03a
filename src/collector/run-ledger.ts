import type { Histogram } from 'hdr-histogram-js'
import { AckTimes } from '../metrics/ack-times.js'
import { newLatencyHistogram, recordMs } from '../metrics/latency.js'
import { Timeline } from '../metrics/timeline.js'
import { VERDICT_CODES, type Decision } from '../schema/decision.js'
import { STAGES, type Stage } from '../schema/stages.js'
import type { Label } from '../schema/labels.js'
import { AttackTracker } from './attack-tracker.js'
import type { DecisionLog } from './decision-log.js'
import type { LiveWindow } from './live-window.js'

const ACKED = 1
const DECIDED = 2
const FRAUD = 4
const BLOCKED = 8
const DROPPED = 16
const FAILED = 32
const ALERTED = 64

/** The end of the offered load window, owned by the load phase (a pause moves it). */
export interface OfferedWindow {
  readonly endsAtMs: number
}

/** What the ledger writes to besides its own counts; given at construction, each optional. */
export interface LedgerOutputs {
  /** Where each decision is written with its label and timestamps. */
  decisionLog?: DecisionLog
  /** The live view's recent latencies and blocks; absent (and free) when no live view runs. */
  live?: LiveWindow
  /** Where the offered load ends, for the rate Kinesis took it at; without it, the load's end. */
  offeredWindow?: OfferedWindow
}

export interface ConfusionCounts {
  truePositives: number
  falsePositives: number
  trueNegatives: number
  falseNegatives: number
}

/**
 * Everything a run knows about the transactions it produced, in memory that does not grow with
 * the stream's length beyond seven bytes a transaction: each transaction's label, state (sent,
 * decided, blocked, alerted) and score sit in typed columns; the send timestamps of transactions
 * still in flight sit in a ring that grows only if more are in flight at once; latencies go into
 * HDR histograms (per stage, per archetype, per time bucket) and verdicts into the confusion
 * matrix as decisions arrive; each decision, joined with its label and timestamps, is streamed to
 * the decision log. Labels never travel on the stream: this is where they are joined back, by
 * transaction id.
 */
export class RunLedger {
  readonly idPrefix: string
  /** Indexes handed out so far: the highest emitted index + 1 (with --segment, other hosts' transactions among them). */
  emitted = 0
  acked = 0
  failed = 0
  droppedCount = 0
  decided = 0
  blocked = 0
  labelledFraud = 0
  duplicateDecisions = 0
  /** Duplicate decisions whose verdict differed from the first copy. */
  verdictChanges = 0
  alerts = 0
  duplicateAlerts = 0
  /** Transactions left to the other hosts of a split run (`--segment`). */
  otherSegment = 0
  /** Decisions and alerts whose transaction this run did not produce (another run, or junk). */
  foreignDecisions = 0
  foreignAlerts = 0
  /** Decisions that arrived after their send timestamps left the ring (not timed). */
  untimedDecisions = 0
  /** First decisions without `timestamps.actedAt` (another scorer's): timed when read. */
  decisionsTimedWhenRead = 0
  reviewed = 0
  rejected = 0
  lastObservedAtMs = 0
  readonly endToEnd: Histogram = newLatencyHistogram()
  readonly stages: Record<Stage, Histogram> = Object.fromEntries(STAGES.map((stage) => [stage, newLatencyHistogram()])) as Record<Stage, Histogram>
  readonly confusion: ConfusionCounts = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 }
  readonly archetypes: string[] = ['normal']
  /** Decided transactions and blocks among them, by archetype code (the index into `archetypes`). */
  readonly decidedByArchetype: number[] = [0]
  readonly blockedByArchetype: number[] = [0]
  /** End-to-end latency by archetype code. */
  readonly endToEndByArchetype: Histogram[] = [newLatencyHistogram()]
  /** Decision latency: from the scheduled send time until the decision took effect (the headline). */
  readonly decision: Histogram = newLatencyHistogram()
  readonly decisionByArchetype: Histogram[] = [newLatencyHistogram()]
  readonly timeline = new Timeline()
  readonly attacks = new AttackTracker()
  /** Wall time of the champion model's call per decided transaction (when the scorer reports it). */
  readonly modelLatency: Histogram = newLatencyHistogram()
  /** With a shadow model: its version, its call time, and its score and verdict per transaction. */
  shadow?: { version: string; modelLatency: Histogram; scores: Float32Array; verdicts: Uint8Array }
  readonly decisionLog?: DecisionLog
  readonly live?: LiveWindow
  private readonly offeredWindow: OfferedWindow

  private state: Uint8Array
  private archetypeOf: Uint8Array
  private firstVerdict: Uint8Array
  private scores: Float32Array
  private ringIndex: Int32Array
  // Send times of transactions in flight, as float32 milliseconds since the ledger's start: 16 bytes
  // a slot instead of 28, still finer than 0.5 ms for runs of up to two hours.
  private ringScheduledAt: Float32Array
  private ringSentAt: Float32Array
  private ringAckedAt: Float32Array
  private readonly originMs: number
  private readonly ackTimes: AckTimes

  constructor(
    readonly runId: string,
    initialCapacity: number,
    ringSize = 1 << 16,
    originMs = Date.now(),
    outputs: LedgerOutputs = {},
  ) {
    this.decisionLog = outputs.decisionLog
    this.live = outputs.live
    this.offeredWindow = outputs.offeredWindow ?? { endsAtMs: Infinity }
    this.idPrefix = `${runId}-`
    const capacity = Math.max(16, initialCapacity)
    this.state = new Uint8Array(capacity)
    this.archetypeOf = new Uint8Array(capacity)
    this.firstVerdict = new Uint8Array(capacity)
    this.scores = new Float32Array(capacity)
    this.ringIndex = new Int32Array(ringSize).fill(-1)
    this.ringScheduledAt = new Float32Array(ringSize)
    this.ringSentAt = new Float32Array(ringSize)
    this.ringAckedAt = new Float32Array(ringSize)
    this.originMs = originMs
    this.ackTimes = new AckTimes(originMs)
  }

  transactionId(index: number): string {
    return `${this.idPrefix}${index}`
  }

  /** The ledger index of a transaction id, or -1 if this run did not produce it. */
  indexOf(transactionId: string): number {
    if (!transactionId.startsWith(this.idPrefix)) return -1
    const index = Number(transactionId.slice(this.idPrefix.length))
    return Number.isInteger(index) && index >= 0 && index < this.emitted ? index : -1
  }

  /** Slots of the in-flight ring: how many transactions were in flight at once, rounded up to a power of two. */
  get inFlightCapacity(): number {
    return this.ringIndex.length
  }

  /** Bytes held per transaction and in the in-flight ring (for the report). */
  get memoryBytes(): number {
    return this.state.byteLength * 7 + this.ringIndex.byteLength * 4
  }

  /**
   * Transactions Kinesis acknowledged over the offered load: from its start to the offered window's
   * end (or the load's, if it stopped first), moved by the median schedule-to-ack time (see AckTimes).
   */
  ackedOverLoad(loadStartedAtMs: number, loadEndedAtMs: number): number {
    return this.ackTimes.inWindow(loadStartedAtMs, Math.min(this.offeredWindow.endsAtMs, loadEndedAtMs))
  }

  private register(index: number, scheduledAtMs: number, label: Label): void {
    this.ensureCapacity(index)
    if (label.isFraud) this.state[index] |= FRAUD
    if (label.archetype !== 'normal') this.archetypeOf[index] = this.archetypeCode(label.archetype)
    if (label.isFraud && label.attackId) this.attacks.recordEmitted(index, label.attackId, label.archetype, scheduledAtMs)
    if (index + 1 > this.emitted) this.emitted = index + 1
    const slot = this.claimSlot(index)
    this.ringScheduledAt[slot] = scheduledAtMs - this.originMs
    this.ringSentAt[slot] = 0
    this.ringAckedAt[slot] = 0
  }

  recordEmitted(index: number, scheduledAtMs: number, label: Label): void {
    this.register(index, scheduledAtMs, label)
    this.timeline.recordOffered(scheduledAtMs)
  }

  /**
   * A transaction of the scenario that another host sends (`--segment`): generated here for its
   * place in the sequence, neither offered nor sent by this run.
   */
  recordOtherSegment(index: number): void {
    if (index + 1 > this.emitted) this.emitted = index + 1
    this.otherSegment++
  }

  /** Transactions this run offered: emitted less those of other segments. */
  get emittedHere(): number {
    return this.emitted - this.otherSegment
  }

  recordDropped(index: number, scheduledAtMs: number, label: Label): void {
    this.register(index, scheduledAtMs, label)
    this.timeline.recordDropped(scheduledAtMs)
    this.state[index] |= DROPPED
    this.releaseSlot(index)
    this.droppedCount++
  }

  recordSent(index: number, atMs: number): void {
    const slot = this.slotOf(index)
    if (slot !== -1) this.ringSentAt[slot] = atMs - this.originMs
  }

  recordAcked(index: number, atMs: number): void {
    this.state[index] |= ACKED
    this.acked++
    if (this.state[index] & FRAUD) this.labelledFraud++
    this.timeline.recordSent(atMs)
    const slot = this.slotOf(index)
    if (slot === -1) return this.ackTimes.record(atMs, undefined)
    this.ringAckedAt[slot] = atMs - this.originMs
    this.ackTimes.record(atMs, this.ringAckedAt[slot] - this.ringScheduledAt[slot])
    recordMs(this.stages.generatorLag, this.ringSentAt[slot] - this.ringScheduledAt[slot])
    recordMs(this.stages.put, this.ringAckedAt[slot] - this.ringSentAt[slot])
    if (this.live) {
      this.live.record('generatorLag', this.ringSentAt[slot] - this.ringScheduledAt[slot])
      this.live.record('put', this.ringAckedAt[slot] - this.ringSentAt[slot])
    }
  }

  recordProduceFailed(index: number): void {
    this.state[index] |= FAILED
    this.failed++
    this.releaseSlot(index)
  }

  recordDecision(decision: Decision, observedAtMs: number): void {
    const index = this.indexOf(decision.transactionId)
    if (index === -1) {
      this.foreignDecisions++
      return
    }
    const code = VERDICT_CODES[decision.verdict]
    if (this.state[index] & DECIDED) {
      this.duplicateDecisions++
      if (code !== this.firstVerdict[index]) {
        this.verdictChanges++
        // A replay after a scorer restart can score with less feature history. A block is an
        // effect that happened (BlockList, alert), so a later block copy wins; other changes keep the first.
        if (code === VERDICT_CODES.block && !(this.state[index] & BLOCKED)) {
          this.uncount(index)
          this.firstVerdict[index] = code
          this.scores[index] = decision.score
          this.count(index, code)
          if (this.state[index] & FRAUD) this.attacks.recordBlocked(index, decision.timestamps?.actedAt ?? observedAtMs)
        }
      }
      return
    }
    this.state[index] |= DECIDED
    this.decided++
    // A scorer that does not say when its decision took effect is timed when fraudlab reads it.
    const actedAt = decision.timestamps?.actedAt ?? observedAtMs
    if (decision.timestamps?.actedAt === undefined) this.decisionsTimedWhenRead++
    this.firstVerdict[index] = code
    this.scores[index] = decision.score
    if (decision.modelMs !== undefined) recordMs(this.modelLatency, decision.modelMs)
    if (decision.shadow) this.recordShadow(index, decision.shadow)
    this.count(index, code)
    if (code === VERDICT_CODES.block && this.state[index] & FRAUD) this.attacks.recordBlocked(index, actedAt)
    this.timeline.recordDecided(observedAtMs, code === VERDICT_CODES.block)
    if (this.live && code === VERDICT_CODES.block) {
      this.live.recordBlock({
        transactionId: decision.transactionId,
        score: decision.score,
        reasons: decision.reasons ?? [],
        isFraud: (this.state[index] & FRAUD) !== 0,
        archetype: this.archetypes[this.archetypeOf[index]],
        atMs: actedAt,
      })
    }
    this.lastObservedAtMs = Math.max(this.lastObservedAtMs, observedAtMs)
    const slot = this.slotOf(index)
    const t = decision.timestamps
    if (slot === -1) {
      this.untimedDecisions++
      this.decisionLog?.recordDecision(this.labelOf(index), decision, NaN, NaN, NaN, observedAtMs)
      return
    }
    const scheduledAtMs = this.originMs + this.ringScheduledAt[slot]
    this.decisionLog?.recordDecision(this.labelOf(index), decision, scheduledAtMs, this.originMs + this.ringSentAt[slot], this.originMs + this.ringAckedAt[slot], observedAtMs)
    const endToEndMs = observedAtMs - scheduledAtMs
    // The scorer's clock is this machine's too; a decision never takes effect before its time.
    const decisionMs = Math.max(0, actedAt - scheduledAtMs)
    const archetype = this.archetypeOf[index]
    recordMs(this.decision, decisionMs)
    recordMs(this.decisionByArchetype[archetype], decisionMs)
    recordMs(this.endToEnd, endToEndMs)
    recordMs(this.endToEndByArchetype[archetype], endToEndMs)
    this.timeline.recordLatency(scheduledAtMs, decisionMs)
    this.timeline.recordOutcome(scheduledAtMs, this.state[index] & FRAUD ? this.archetypes[archetype] : undefined, code === VERDICT_CODES.block)
    if (this.live) {
      this.live.record('decision', decisionMs)
      this.live.record('endToEnd', endToEndMs)
    }
    // Each scorer-side stage is timed when the scorer gave both its ends (fraudlab's always does).
    // Kinesis' arrival timestamp has millisecond resolution and another process' clock: clamp at 0.
    if (t?.fetchedAt !== undefined) this.recordStage('propagation', Math.max(0, t.fetchedAt - this.originMs - this.ringAckedAt[slot]))
    if (t?.fetchedAt !== undefined && t.scoredAt !== undefined) this.recordStage('scoring', t.scoredAt - t.fetchedAt)
    if (t?.scoredAt !== undefined && t.actedAt !== undefined) this.recordStage('actions', t.actedAt - t.scoredAt)
    if (t?.actedAt !== undefined) this.recordStage('collection', Math.max(0, observedAtMs - t.actedAt))
    this.releaseSlot(index)
  }

  private recordStage(stage: 'propagation' | 'scoring' | 'actions' | 'collection', ms: number): void {
    recordMs(this.stages[stage], ms)
    this.live?.record(stage, ms)
  }

  recordAlert(transactionId: string): void {
    const index = this.indexOf(transactionId)
    if (index === -1) {
      this.foreignAlerts++
      return
    }
    if (this.state[index] & ALERTED) this.duplicateAlerts++
    else {
      this.state[index] |= ALERTED
      this.alerts++
    }
  }

  hasDecision(transactionId: string): boolean {
    const index = this.indexOf(transactionId)
    return index !== -1 && (this.state[index] & DECIDED) !== 0
  }

  /** Ids of transactions Kinesis accepted that have no decision yet. */
  undecidedIds(limit = Infinity): string[] {
    const ids: string[] = []
    for (let i = 0; i < this.emitted && ids.length < limit; i++) {
      if ((this.state[i] & (ACKED | DECIDED)) === ACKED) ids.push(this.transactionId(i))
    }
    return ids
  }

  get undecided(): number {
    return this.acked - this.decided
  }

  /**
   * Effects-only observation, after its window: every accepted transaction with no block observed
   * was allowed. Counted in the confusion matrix with score 0; not timed (nothing was observed).
   */
  inferAllowed(): number {
    let inferred = 0
    for (let i = 0; i < this.emitted; i++) {
      if ((this.state[i] & (ACKED | DECIDED)) !== ACKED) continue
      this.state[i] |= DECIDED
      this.decided++
      this.firstVerdict[i] = VERDICT_CODES.allow
      this.scores[i] = 0
      this.count(i, VERDICT_CODES.allow)
      this.releaseSlot(i)
      this.decisionLog?.recordDecision(this.labelOf(i), { transactionId: this.transactionId(i), verdict: 'allow', score: 0 }, NaN, NaN, NaN, NaN)
      inferred++
    }
    return inferred
  }

  /** Writes the undecided transactions to the decision log (at the end of the run). */
  logUndecided(): void {
    if (!this.decisionLog) return
    for (let i = 0; i < this.emitted; i++) {
      if ((this.state[i] & (ACKED | DECIDED)) === ACKED) this.decisionLog.recordUndecided(this.transactionId(i), this.labelOf(i))
    }
  }

  /**
   * The score and label of every decided transaction, for PR-AUC: `scores[k]`, `labels[k]` (1 for
   * fraud) and `archetypeCodes[k]` (the index into `archetypes`) of the k-th decided transaction;
   * with a shadow model, its score and verdict code of the same transaction.
   */
  scoredDecisions(): { scores: Float32Array; labels: Uint8Array; archetypeCodes: Uint8Array; verdicts: Uint8Array; shadow?: { scores: Float32Array; verdicts: Uint8Array } } {
    const scores = new Float32Array(this.decided)
    const labels = new Uint8Array(this.decided)
    const archetypeCodes = new Uint8Array(this.decided)
    const verdicts = new Uint8Array(this.decided)
    const shadow = this.shadow ? { scores: new Float32Array(this.decided), verdicts: new Uint8Array(this.decided) } : undefined
    let k = 0
    for (let i = 0; i < this.emitted && k < this.decided; i++) {
      if (!(this.state[i] & DECIDED)) continue
      scores[k] = this.scores[i]
      labels[k] = this.state[i] & FRAUD ? 1 : 0
      verdicts[k] = this.firstVerdict[i]
      if (shadow) {
        shadow.scores[k] = this.shadow!.scores[i]
        shadow.verdicts[k] = this.shadow!.verdicts[i]
      }
      archetypeCodes[k++] = this.archetypeOf[i]
    }
    return { scores, labels, archetypeCodes, verdicts, shadow }
  }

  private recordShadow(index: number, said: NonNullable<Decision['shadow']>): void {
    this.shadow ??= { version: said.modelVersion, modelLatency: newLatencyHistogram(), scores: new Float32Array(this.state.length), verdicts: new Uint8Array(this.state.length) }
    this.shadow.scores[index] = said.score
    this.shadow.verdicts[index] = VERDICT_CODES[said.verdict]
    recordMs(this.shadow.modelLatency, said.modelMs)
  }

  private labelOf(index: number): { isFraud: boolean; archetype: string; attackId: string } {
    return { isFraud: (this.state[index] & FRAUD) !== 0, archetype: this.archetypes[this.archetypeOf[index]], attackId: this.attacks.attackIdOf(index) }
  }

  private count(index: number, code: number): void {
    const fraud = (this.state[index] & FRAUD) !== 0
    const blocked = code === VERDICT_CODES.block
    if (blocked) {
      this.state[index] |= BLOCKED
      this.blocked++
    } else if (code === VERDICT_CODES.review) this.reviewed++
    else if (code === VERDICT_CODES.reject) this.rejected++
    const archetype = this.archetypeOf[index]
    this.decidedByArchetype[archetype] = (this.decidedByArchetype[archetype] ?? 0) + 1
    if (blocked) this.blockedByArchetype[archetype] = (this.blockedByArchetype[archetype] ?? 0) + 1
    if (fraud && blocked) this.confusion.truePositives++
    else if (fraud) this.confusion.falseNegatives++
    else if (blocked) this.confusion.falsePositives++
    else this.confusion.trueNegatives++
  }

  private uncount(index: number): void {
    const fraud = (this.state[index] & FRAUD) !== 0
    const code = this.firstVerdict[index]
    this.decidedByArchetype[this.archetypeOf[index]]--
    if (code === VERDICT_CODES.review) this.reviewed--
    else if (code === VERDICT_CODES.reject) this.rejected--
    if (fraud) this.confusion.falseNegatives--
    else this.confusion.trueNegatives--
  }

  private archetypeCode(archetype: string): number {
    let code = this.archetypes.indexOf(archetype)
    if (code === -1) {
      code = this.archetypes.push(archetype) - 1
      this.endToEndByArchetype.push(newLatencyHistogram())
      this.decisionByArchetype.push(newLatencyHistogram())
    }
    return Math.min(code, 255)
  }

  private ensureCapacity(index: number): void {
    if (index < this.state.length) return
    let capacity = this.state.length
    while (capacity <= index) capacity *= 2
    for (const column of ['state', 'archetypeOf', 'firstVerdict'] as const) {
      const bigger = new Uint8Array(capacity)
      bigger.set(this[column])
      this[column] = bigger
    }
    const scores = new Float32Array(capacity)
    scores.set(this.scores)
    this.scores = scores
    if (this.shadow) {
      const shadowScores = new Float32Array(capacity)
      shadowScores.set(this.shadow.scores)
      const shadowVerdicts = new Uint8Array(capacity)
      shadowVerdicts.set(this.shadow.verdicts)
      this.shadow.scores = shadowScores
      this.shadow.verdicts = shadowVerdicts
    }
  }

  private slotOf(index: number): number {
    const slot = index & (this.ringIndex.length - 1)
    return this.ringIndex[slot] === index ? slot : -1
  }

  private releaseSlot(index: number): void {
    const slot = this.slotOf(index)
    if (slot !== -1) this.ringIndex[slot] = -1
  }

  /** The ring slot for a new transaction; the ring doubles when its slot still holds one in flight. */
  private claimSlot(index: number): number {
    for (;;) {
      const slot = index & (this.ringIndex.length - 1)
      const holder = this.ringIndex[slot]
      if (holder === -1 || holder === index) {
        this.ringIndex[slot] = index
        return slot
      }
      this.growRing()
    }
  }

  private growRing(): void {
    const size = this.ringIndex.length * 2
    const index = new Int32Array(size).fill(-1)
    const scheduledAt = new Float32Array(size)
    const sentAt = new Float32Array(size)
    const ackedAt = new Float32Array(size)
    for (let slot = 0; slot < this.ringIndex.length; slot++) {
      const holder = this.ringIndex[slot]
      if (holder === -1) continue
      const to = holder & (size - 1)
      index[to] = holder
      scheduledAt[to] = this.ringScheduledAt[slot]
      sentAt[to] = this.ringSentAt[slot]
      ackedAt[to] = this.ringAckedAt[slot]
    }
    this.ringIndex = index
    this.ringScheduledAt = scheduledAt
    this.ringSentAt = sentAt
    this.ringAckedAt = ackedAt
  }
}
