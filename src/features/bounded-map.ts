/** A Map that keeps at most `capacity` keys, evicting the least recently used one. */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>()
  evictions = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size
  }

  get(key: K): V | undefined {
    const value = this.map.get(key)
    if (value !== undefined) {
      this.map.delete(key)
      this.map.set(key, value)
    }
    return value
  }

  set(key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.capacity) {
      this.map.delete(this.map.keys().next().value as K)
      this.evictions++
    }
  }
}
