// A small map that forgets its oldest entry when full: the hot identifiers remember their
// last answers (a proxy sees few distinct Host values), without growing on hostile input.

export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>()
  constructor(readonly max: number) {}

  get(key: K): V | undefined {
    return this.#map.get(key)
  }

  set(key: K, value: V): V {
    if (this.#map.size >= this.max && !this.#map.has(key)) {
      // Map iterates in insertion order: the first key is the oldest.
      this.#map.delete(this.#map.keys().next().value as K)
    }
    this.#map.set(key, value)
    return value
  }

  get size(): number {
    return this.#map.size
  }
}
