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
  readonly scheduledAt: Float64Array
  readonly sentAt: Float64Array
  readonly ackedAt: Float64Array
  readonly arrivedAt: Float64Array
  readonly fetchedAt: Float64Array
  readonly scoredAt: Float64Array
  readonly actedAt: Float64Array
  readonly observedAt: Float64Array
  readonly score: Float32Array
  readonly verdict: Uint8Array
  readonly isFraud: Uint8Array
  readonly produceFailed: Uint8Array
  readonly decisionCopies: Uint16Array
  readonly alertCopies: Uint16Array
  readonly archetypeOf: Uint16Array
  readonly archetypes: string[] = ['normal']
  readonly attackOf: Int32Array
  readonly attacks: string[] = []
  acked = 0
  failed = 0
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

  constructor(
    readonly runId: string,
    readonly capacity: number,
  ) {
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

  recordEmitted(index: number, scheduledAtMs: number, label: Label): void {
    this.scheduledAt[index] = scheduledAtMs
    this.isFraud[index] = label.isFraud ? 1 : 0
    if (label.archetype !== 'normal') {
      let archetype = this.archetypes.indexOf(label.archetype)
      if (archetype === -1) archetype = this.archetypes.push(label.archetype) - 1
      this.archetypeOf[index] = archetype
    }
    if (label.attackId) {
      let attack = this.attacks.lastIndexOf(label.attackId)
      if (attack === -1) attack = this.attacks.push(label.attackId) - 1
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
