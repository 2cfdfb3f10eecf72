// Values keyed by ids that come from requests (the Host header becomes a service name). An
// unbounded map would let any client grow the proxy's memory, so past the limit new ids share
// the one value kept under OVERFLOW. Metrics scopes and retry budgets are kept this way.

export const OVERFLOW = '_overflow'

export class BoundedFamily<T> {
  /** The values by id; OVERFLOW among them once the limit was reached. */
  readonly byId = new Map<string, T>()

  constructor(
    private readonly make: () => T,
    readonly limit = 2000,
  ) {}

  get(id: string): T {
    let v = this.byId.get(id)
    if (v === undefined) {
      const key = this.byId.size >= this.limit ? OVERFLOW : id
      v = this.byId.get(key)
      if (v === undefined) {
        v = this.make()
        this.byId.set(key, v)
      }
    }
    return v
  }
}
