import type { Decision, Verdict } from '../schema/decision.js'
import type { Label } from '../schema/labels.js'

export const VERDICT_CODES: Record<Verdict, number> = { allow: 1, review: 2, block: 3, reject: 4 }
export const VERDICT_NAMES = ['', 'allow', 'review', 'block', 'reject'] as const

/**
 * Everything a run knows about each transaction it produced, by index: its label (which never
 * travels on the stream), the timestamps of every stage, and its decision. Columns are typed
 * arrays sized once, so recording costs no allocation on the hot path.
 */
export class RunLedger {
  readonly idPrefix: string
  emitted = 0
  scheduledAt: Float64Array
  sentAt: Float64Array
  ackedAt: Float64Array
  arrivedAt: Float64Array
  fetchedAt: Float64Array
  scoredAt: Float64Array
  actedAt: Float64Array
  observedAt: Float64Array
  score: Float32Array
  verdict: Uint8Array
  isFraud: Uint8Array
  produceFailed: Uint8Array
  /** 1 where the load runner dropped the transaction (it could not be sent in time). */
  dropped: Uint8Array
  decisionCopies: Uint16Array
  alertCopies: Uint16Array
  archetypeOf: Uint16Array
  readonly archetypes: string[] = ['normal']
  attackOf: Int32Array
  readonly attacks: string[] = []
  private readonly attackIndex = new Map<string, number>()
  acked = 0
  failed = 0
  droppedCount = 0
  decided = 0
  blocked = 0
  duplicateDecisions = 0
  /** Duplicate decisions whose verdict differed from the first copy. */
  verdictChanges = 0
  alerts = 0
  duplicateAlerts = 0
  /** Decisions and alerts whose transaction this run did not produce (another run, or junk). */
  foreignDecisions = 0
  foreignAlerts = 0

  capacity: number

  constructor(
    readonly runId: string,
    initialCapacity: number,
  ) {
    const capacity = Math.max(16, initialCapacity)
    this.capacity = capacity
    this.idPrefix = `${runId}-`
    this.scheduledAt = new Float64Array(capacity)
    this.sentAt = new Float64Array(capacity)
    this.ackedAt = new Float64Array(capacity)
    this.arrivedAt = new Float64Array(capacity)
    this.fetchedAt = new Float64Array(capacity)
    this.scoredAt = new Float64Array(capacity)
    this.actedAt = new Float64Array(capacity)
    this.observedAt = new Float64Array(capacity)
    this.score = new Float32Array(capacity)
    this.verdict = new Uint8Array(capacity)
    this.isFraud = new Uint8Array(capacity)
    this.produceFailed = new Uint8Array(capacity)
    this.dropped = new Uint8Array(capacity)
    this.decisionCopies = new Uint16Array(capacity)
    this.alertCopies = new Uint16Array(capacity)
    this.archetypeOf = new Uint16Array(capacity)
    this.attackOf = new Int32Array(capacity).fill(-1)
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

  /** Doubles every column when a run offers more than expected (Poisson and event-time arrival). */
  private ensureCapacity(index: number): void {
    if (index < this.capacity) return
    let capacity = this.capacity
    while (capacity <= index) capacity *= 2
    const grow = <A extends Float64Array | Float32Array | Uint8Array | Uint16Array | Int32Array>(array: A, fill = 0): A => {
      const bigger = new (array.constructor as new (n: number) => A)(capacity)
      bigger.set(array as never)
      if (fill) bigger.fill(fill as never, array.length)
      return bigger
    }
    this.scheduledAt = grow(this.scheduledAt)
    this.sentAt = grow(this.sentAt)
    this.ackedAt = grow(this.ackedAt)
    this.arrivedAt = grow(this.arrivedAt)
    this.fetchedAt = grow(this.fetchedAt)
    this.scoredAt = grow(this.scoredAt)
    this.actedAt = grow(this.actedAt)
    this.observedAt = grow(this.observedAt)
    this.score = grow(this.score)
    this.verdict = grow(this.verdict)
    this.isFraud = grow(this.isFraud)
    this.produceFailed = grow(this.produceFailed)
    this.dropped = grow(this.dropped)
    this.decisionCopies = grow(this.decisionCopies)
    this.alertCopies = grow(this.alertCopies)
    this.archetypeOf = grow(this.archetypeOf)
    this.attackOf = grow(this.attackOf, -1)
    this.capacity = capacity
  }

  recordDropped(index: number, scheduledAtMs: number, label: Label): void {
    this.recordEmitted(index, scheduledAtMs, label)
    this.dropped[index] = 1
    this.droppedCount++
  }

  recordEmitted(index: number, scheduledAtMs: number, label: Label): void {
    this.ensureCapacity(index)
    this.scheduledAt[index] = scheduledAtMs
    this.isFraud[index] = label.isFraud ? 1 : 0
    if (label.archetype !== 'normal') {
      let archetype = this.archetypes.indexOf(label.archetype)
      if (archetype === -1) archetype = this.archetypes.push(label.archetype) - 1
      this.archetypeOf[index] = archetype
    }
    if (label.attackId) {
      let attack = this.attackIndex.get(label.attackId)
      if (attack === undefined) {
        attack = this.attacks.push(label.attackId) - 1
        this.attackIndex.set(label.attackId, attack)
      }
      this.attackOf[index] = attack
    }
    if (index + 1 > this.emitted) this.emitted = index + 1
  }

  recordSent(index: number, atMs: number): void {
    this.sentAt[index] = atMs
  }

  recordAcked(index: number, atMs: number): void {
    this.ackedAt[index] = atMs
    this.acked++
  }

  recordProduceFailed(index: number): void {
    this.produceFailed[index] = 1
    this.failed++
  }

  recordDecision(decision: Decision, observedAtMs: number): void {
    const index = this.indexOf(decision.transactionId)
    if (index === -1) {
      this.foreignDecisions++
      return
    }
    if (this.decisionCopies[index]++ > 0) {
      this.duplicateDecisions++
      const verdict = VERDICT_CODES[decision.verdict]
      if (verdict !== this.verdict[index]) {
        // A replay after a scorer restart can score with less feature history. A block is an effect
        // that happened (BlockList, alert), so a later block copy wins; other changes keep the first.
        this.verdictChanges++
        if (verdict === VERDICT_CODES.block) {
          this.verdict[index] = verdict
          this.score[index] = decision.score
          this.blocked++
        }
      }
      return
    }
    this.decided++
    if (decision.verdict === 'block') this.blocked++
    this.verdict[index] = VERDICT_CODES[decision.verdict]
    this.score[index] = decision.score
    this.arrivedAt[index] = decision.timestamps.arrivedAt
    this.fetchedAt[index] = decision.timestamps.fetchedAt
    this.scoredAt[index] = decision.timestamps.scoredAt
    this.actedAt[index] = decision.timestamps.actedAt
    this.observedAt[index] = observedAtMs
  }

  recordAlert(transactionId: string): void {
    const index = this.indexOf(transactionId)
    if (index === -1) {
      this.foreignAlerts++
      return
    }
    if (this.alertCopies[index]++ > 0) this.duplicateAlerts++
    else this.alerts++
  }

  /** Ids of transactions Kinesis accepted that have no decision yet. */
  undecidedIds(limit = Infinity): string[] {
    const ids: string[] = []
    for (let i = 0; i < this.emitted && ids.length < limit; i++) {
      if (this.ackedAt[i] > 0 && this.decisionCopies[i] === 0) ids.push(this.transactionId(i))
    }
    return ids
  }

  get undecided(): number {
    return this.acked - this.decided
  }
}
