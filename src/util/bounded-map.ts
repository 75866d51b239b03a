/**
 * A Map that keeps at most `capacity` keys, dropping the least recently used ones in bulk. Two
 * generations: new and touched keys go to the young one; when it is full, the old generation is
 * dropped and the young one becomes old. Every operation is O(1). (A single Map used as an LRU,
 * deleting and re-inserting on each access, is not: V8 leaves deleted entries as tombstones that
 * `keys().next()` must walk past, and eviction slows down as the map churns.)
 */
export class BoundedMap<K, V> {
  private young = new Map<K, V>()
  private old = new Map<K, V>()
  private readonly generationSize: number
  evictions = 0

  constructor(readonly capacity: number) {
    this.generationSize = Math.max(1, Math.floor(capacity / 2))
  }

  get size(): number {
    return this.young.size + this.old.size
  }

  get(key: K): V | undefined {
    const value = this.young.get(key)
    if (value !== undefined) return value
    const aging = this.old.get(key)
    if (aging !== undefined) {
      this.old.delete(key)
      this.insert(key, aging)
    }
    return aging
  }

  set(key: K, value: V): void {
    // Most sets put back the object a get just returned (state updated in place): one lookup then.
    const current = this.young.get(key)
    if (current !== undefined) {
      if (current !== value) this.young.set(key, value)
      return
    }
    this.old.delete(key)
    this.insert(key, value)
  }

  /**
   * Sets `key` to `value` unless it is held already (which counts as a use, as `get` does); true if
   * it was not held. One pass instead of a get and a set (the scorer's dedup window, per record).
   */
  claim(key: K, value: V): boolean {
    if (this.get(key) !== undefined) return false
    this.insert(key, value)
    return true
  }

  delete(key: K): void {
    if (!this.young.delete(key)) this.old.delete(key)
  }

  /** Up to `count` values, young generation first (for memory estimates). */
  sample(count: number): V[] {
    const values: V[] = []
    for (const map of [this.young, this.old]) {
      for (const value of map.values()) {
        if (values.length >= count) return values
        values.push(value)
      }
    }
    return values
  }

  private insert(key: K, value: V): void {
    if (this.young.size >= this.generationSize) {
      this.evictions += this.old.size
      this.old = this.young
      this.young = new Map()
    }
    this.young.set(key, value)
  }
}
