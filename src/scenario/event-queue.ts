/**
 * A binary min-heap of events by event time; ties go to the event scheduled first, so the order
 * (and so the generated stream) is fully determined by the seed.
 */
export class EventQueue<T extends { timeMs: number; order?: number }> {
  private readonly heap: T[] = []
  private nextOrder = 0

  get size(): number {
    return this.heap.length
  }

  /** Adds an event; the queue stamps its `order` (the tie-breaker). */
  push(item: T): void {
    item.order = this.nextOrder++
    const heap = this.heap
    let i = heap.push(item) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(item, heap[parent])) break
      heap[i] = heap[parent]
      i = parent
    }
    heap[i] = item
  }

  peek(): T | undefined {
    return this.heap[0]
  }

  pop(): T | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last !== undefined) this.siftDown(last)
    return top
  }

  /** After the caller moved the top event to a later time: re-sorts it as if it were pushed anew. */
  rescheduleTop(): void {
    const top = this.heap[0]
    top.order = this.nextOrder++
    this.siftDown(top)
  }

  private siftDown(item: T): void {
    const heap = this.heap
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && before(heap[right], heap[left]) ? right : left
      if (!before(heap[child], item)) break
      heap[i] = heap[child]
      i = child
    }
    heap[i] = item
  }
}

function before(a: { timeMs: number; order?: number }, b: { timeMs: number; order?: number }): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.order! < b.order!)
}
