/** One attack as the report shows it. */
export interface AttackRecord {
  attackId: string
  archetype: string
  transactions: number
  blocked: number
  /** Scheduled time of the attack's first transaction, epoch milliseconds. */
  startedAt: number
  /** From the first transaction's scheduled time to the first block taking effect (BlockList written); null if never blocked. */
  timeToDetectMs: number | null
}

/**
 * Groups fraudulent transactions by the attack that produced them (the label's attackId, which the
 * stream never sees) and times each attack's detection: from its first transaction's scheduled
 * time to its earliest block. Decisions arrive out of order across shards, so the earliest block
 * wins, not the first one observed.
 */
export class AttackTracker {
  private readonly codes = new Map<string, number>()
  private readonly attackOfTransaction = new Map<number, number>()
  private readonly ids: string[] = []
  private readonly archetypes: string[] = []
  private readonly transactions: number[] = []
  private readonly blocked: number[] = []
  private readonly startedAt: number[] = []
  private readonly firstBlockAt: number[] = []

  get count(): number {
    return this.ids.length
  }

  recordEmitted(index: number, attackId: string, archetype: string, scheduledAtMs: number): void {
    let code = this.codes.get(attackId)
    if (code === undefined) {
      code = this.ids.push(attackId) - 1
      this.codes.set(attackId, code)
      this.archetypes.push(archetype)
      this.transactions.push(0)
      this.blocked.push(0)
      this.startedAt.push(scheduledAtMs)
      this.firstBlockAt.push(Infinity)
    }
    this.attackOfTransaction.set(index, code)
    this.transactions[code]++
    if (scheduledAtMs < this.startedAt[code]) this.startedAt[code] = scheduledAtMs
  }

  attackIdOf(index: number): string {
    const code = this.attackOfTransaction.get(index)
    return code === undefined ? '' : this.ids[code]
  }

  /** A fraudulent transaction was blocked; `actedAtMs` is when the block took effect. */
  recordBlocked(index: number, actedAtMs: number): void {
    const code = this.attackOfTransaction.get(index)
    if (code === undefined) return
    this.blocked[code]++
    if (actedAtMs < this.firstBlockAt[code]) this.firstBlockAt[code] = actedAtMs
  }

  records(): AttackRecord[] {
    return this.ids.map((attackId, code) => ({
      attackId,
      archetype: this.archetypes[code],
      transactions: this.transactions[code],
      blocked: this.blocked[code],
      startedAt: this.startedAt[code],
      timeToDetectMs: Number.isFinite(this.firstBlockAt[code]) ? Math.max(0, this.firstBlockAt[code] - this.startedAt[code]) : null,
    }))
  }
}
