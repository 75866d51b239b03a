/**
 * Handles together whatever is added in one turn of the event loop: the first item of a turn
 * schedules the handling (setImmediate, after the I/O callbacks of that turn), and every item
 * added before it runs joins. Each `add` settles when its group's handling does, so a caller
 * still learns when its own item is done. Nothing waits for items that have not come.
 */
export class TurnGatherer<T> {
  private waiting: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = []
  /** Groups handled, and items in them: items/groups is how much the gathering saves. */
  readonly stats = { groups: 0, items: 0 }

  constructor(private readonly handle: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.handleWaiting())
      this.waiting.push({ item, resolve, reject })
    })
  }

  private handleWaiting(): void {
    const group = this.waiting
    this.waiting = []
    this.stats.groups++
    this.stats.items += group.length
    let handled: Promise<void>
    try {
      handled = this.handle(group.map((entry) => entry.item))
    } catch (error) {
      handled = Promise.reject(error)
    }
    handled.then(
      () => group.forEach((entry) => entry.resolve()),
      (error: unknown) => group.forEach((entry) => entry.reject(error)),
    )
  }
}
