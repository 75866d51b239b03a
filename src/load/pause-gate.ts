/**
 * Pauses an open-model load (the live view's `p`). While paused nothing is emitted; on resume the
 * whole remaining schedule shifts by the pause, so nothing becomes late or dropped because of it
 * and latency is still measured from each transaction's (shifted) scheduled time.
 */
export class PauseGate {
  private pausedAt: number | undefined
  private pausedTotalMs = 0
  private readonly listeners: Array<(paused: boolean, pausedMs: number) => void> = []

  constructor(private readonly now: () => number) {}

  get paused(): boolean {
    return this.pausedAt !== undefined
  }

  /** Time spent paused so far, the current pause included. */
  pausedMs(): number {
    return this.pausedTotalMs + (this.pausedAt === undefined ? 0 : this.now() - this.pausedAt)
  }

  toggle(): boolean {
    if (this.pausedAt === undefined) this.pausedAt = this.now()
    else {
      this.pausedTotalMs += this.now() - this.pausedAt
      this.pausedAt = undefined
    }
    for (const listener of this.listeners) listener(this.paused, this.pausedTotalMs)
    return this.paused
  }

  onChange(listener: (paused: boolean, pausedMs: number) => void): void {
    this.listeners.push(listener)
  }
}
