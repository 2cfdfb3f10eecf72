// A bounded least-recently-used map; evicted values are handed to `onEvict` (routes release
// their addr subscriptions there).

export class Lru<K, V> {
  readonly #map = new Map<K, V>()

  constructor(
    readonly max: number,
    private readonly onEvict?: (value: V, key: K) => void,
  ) {}

  get(key: K): V | undefined {
    const v = this.#map.get(key)
    if (v !== undefined) {
      // Re-inserting moves the key to the end: Map keeps insertion order.
      this.#map.delete(key)
      this.#map.set(key, v)
    }
    return v
  }

  set(key: K, value: V): V {
    const old = this.#map.get(key)
    if (old !== undefined) {
      this.#map.delete(key)
      if (old !== value) this.onEvict?.(old, key)
    }
    this.#map.set(key, value)
    while (this.#map.size > this.max) {
      const [k, v] = this.#map.entries().next().value as [K, V]
      this.#map.delete(k)
      this.onEvict?.(v, k)
    }
    return value
  }

  clear(): void {
    const entries = [...this.#map]
    this.#map.clear()
    for (const [k, v] of entries) this.onEvict?.(v, k)
  }

  get size(): number {
    return this.#map.size
  }
}
