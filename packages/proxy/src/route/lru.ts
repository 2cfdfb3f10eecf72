// A bounded least-recently-used map; evicted values are handed to `onEvict` (routes release
// their addr subscriptions there). Bounded by count and, when entries differ in size, by total
// weight: a count alone lets a client that makes each entry large hold memory without bound.

export interface LruOptions<K, V> {
  /** Called with each value that leaves the map (evicted, replaced or cleared). */
  readonly onEvict?: (value: V, key: K) => void
  /** The most total weight kept; entries are evicted, oldest first, while it is exceeded. */
  readonly maxWeight?: number
  /**
   * An entry's weight, read when it is set and again when it leaves, so it must not change
   * while the entry is in the map. Default 1 per entry.
   */
  readonly weigh?: (value: V, key: K) => number
}

export class Lru<K, V> {
  readonly #map = new Map<K, V>()
  readonly #onEvict: ((value: V, key: K) => void) | undefined
  readonly #weigh: ((value: V, key: K) => number) | undefined
  readonly maxWeight: number
  #weight = 0

  constructor(
    readonly max: number,
    options: LruOptions<K, V> = {},
  ) {
    this.#onEvict = options.onEvict
    this.#weigh = options.weigh
    this.maxWeight = options.maxWeight ?? Number.POSITIVE_INFINITY
  }

  /** The value, now the most recently used; a hit allocates nothing. */
  get(key: K): V | undefined {
    const v = this.#map.get(key)
    if (v !== undefined) {
      // Re-inserting moves the key to the end: Map keeps insertion order.
      this.#map.delete(key)
      this.#map.set(key, v)
    }
    return v
  }

  /**
   * Sets `key` (most recently used), then evicts the least recently used entries while the
   * count or the total weight is over its bound. An entry heavier than maxWeight on its own
   * is evicted at once, so the bound holds whatever is set: callers keep such values elsewhere.
   */
  set(key: K, value: V): V {
    const old = this.#map.get(key)
    if (old !== undefined) {
      this.#map.delete(key)
      this.#weight -= this.#weightOf(old, key)
      if (old !== value) this.#onEvict?.(old, key)
    }
    this.#map.set(key, value)
    this.#weight += this.#weightOf(value, key)
    while (this.#map.size > this.max || this.#weight > this.maxWeight) {
      const [k, v] = this.#map.entries().next().value as [K, V]
      this.#map.delete(k)
      this.#weight -= this.#weightOf(v, k)
      this.#onEvict?.(v, k)
    }
    return value
  }

  clear(): void {
    const entries = [...this.#map]
    this.#map.clear()
    this.#weight = 0
    for (const [k, v] of entries) this.#onEvict?.(v, k)
  }

  get size(): number {
    return this.#map.size
  }

  /** The total weight of the entries kept (their count when entries are not weighed). */
  get weight(): number {
    return this.#weight
  }

  #weightOf(value: V, key: K): number {
    return this.#weigh === undefined ? 1 : this.#weigh(value, key)
  }
}
