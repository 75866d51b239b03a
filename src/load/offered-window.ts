import type { PauseGate } from './pause-gate.js'

/**
 * The offered load window: transactions acknowledged within it count towards throughput. It opens
 * when the load starts, and a pause stretches it by the time spent paused.
 */
export class OfferedWindow {
  endsAtMs = Infinity
  private startedAtMs: number | undefined

  constructor(
    /** Infinity when the source sets the end (a file). */
    private readonly durationMs: number,
    private readonly pause?: PauseGate,
  ) {
    pause?.onChange(() => this.update())
  }

  open(startAtMs: number): void {
    this.startedAtMs = startAtMs
    this.update()
  }

  private update(): void {
    if (this.startedAtMs === undefined) return
    this.endsAtMs = this.startedAtMs + this.durationMs + (this.pause?.pausedMs() ?? 0)
  }
}
