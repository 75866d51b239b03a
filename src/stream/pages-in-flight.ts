interface Page {
  /** Where the shard stands once this page and every one before it are done. */
  position: string | undefined
  done: boolean
  settled: Promise<void>
}

/**
 * The pages of one shard a handler holds at once, for the polling reader and the fan-out
 * subscriber alike. Pages finish in any order; the shard's position moves over the finished ones
 * at the front only, so a checkpoint never passes a page whose effects are not done. The first
 * failure is kept and stops the shard.
 */
export class PagesInFlight {
  failure: { error: unknown } | undefined
  private readonly pages: Page[] = []

  /** `advance` hears each position the shard moves to. */
  constructor(private readonly advance: (position: string) => void) {}

  get size(): number {
    return this.pages.length
  }

  /** Whether a page is still being handled. */
  get busy(): boolean {
    return this.pages.some((page) => !page.done)
  }

  /** Hands a page to `work`; settles once it is done (and the position has moved) or has failed. */
  start(work: () => Promise<void> | void, position: string | undefined): Promise<void> {
    const page: Page = { position, done: false, settled: Promise.resolve() }
    page.settled = Promise.resolve()
      .then(work)
      .then(
        () => {
          page.done = true
          while (this.pages.length && this.pages[0].done) {
            const finished = this.pages.shift()!.position
            if (finished !== undefined) this.advance(finished)
          }
        },
        (error: unknown) => void (this.failure ??= { error }),
      )
    this.pages.push(page)
    return page.settled
  }

  /** Room frees only when the oldest page is done (later ones may finish first and wait behind it). */
  oldestSettled(): Promise<void> {
    return this.pages[0]?.settled ?? Promise.resolve()
  }

  allSettled(): Promise<unknown> {
    return Promise.all(this.pages.map((page) => page.settled))
  }
}
