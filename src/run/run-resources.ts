/**
 * What a run holds that must be given back however it ends (a timer, a client, a child process, a
 * stack it started): each phase registers what it takes, and `release` gives everything back, newest
 * first, once. A failure to release one thing does not keep the others.
 */
export class RunResources {
  private readonly releases: Array<() => unknown> = []
  private released = false

  /** Registers a release; it runs at most once, in reverse order of registration. */
  onRelease(release: () => unknown): void {
    this.releases.push(release)
  }

  interval(work: () => void, everyMs: number): NodeJS.Timeout {
    const timer = setInterval(work, everyMs)
    this.onRelease(() => clearInterval(timer))
    return timer
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    for (const release of this.releases.reverse()) {
      try {
        await release()
      } catch {
        // Releasing is best effort: the report is written already, or the run failed for a better reason.
      }
    }
  }
}

/** Wraps `stop` so that calling it again returns the first call's promise. */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined
  return () => (stopping ??= stop())
}
