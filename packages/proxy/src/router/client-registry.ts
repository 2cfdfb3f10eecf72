// One Client per concrete name (bound id) per router, shared by every route that reaches it,
// fed by the id's live Addr. A client nobody has used for a while is closed and forgotten, so
// names that overrides once pointed at do not hold connections and watches for ever.
import type { Addr, Var } from '@switchyard/namers'
import { Client, type ClientOptions } from '../balance/client.js'

interface Entry {
  readonly client: Client
  readonly unsubscribe: () => void
  lastUsed: number
}

export class ClientRegistry {
  private readonly entries = new Map<string, Entry>()
  private readonly sweeper: NodeJS.Timeout

  constructor(
    private readonly options: ClientOptions,
    private readonly idleMs = 10 * 60_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000))
    this.sweeper.unref()
  }

  /** The client for `id`, created (and subscribed to `addr`) on first use. */
  get(id: string, addr: Var<Addr>, now = Date.now()): Client {
    let e = this.entries.get(id)
    if (e === undefined) {
      const client = new Client(id, this.options)
      client.setAddr(addr.sample())
      const unsubscribe = addr.subscribe((a) => client.setAddr(a))
      e = { client, unsubscribe, lastUsed: now }
      this.entries.set(id, e)
    }
    e.lastUsed = now
    return e.client
  }

  get size(): number {
    return this.entries.size
  }

  private sweep(now = Date.now()): void {
    for (const [id, e] of this.entries) {
      if (now - e.lastUsed > this.idleMs && e.client.pending === 0) {
        this.entries.delete(id)
        e.unsubscribe()
        void e.client.close()
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper)
    const all = [...this.entries.values()]
    this.entries.clear()
    for (const e of all) e.unsubscribe()
    await Promise.all(all.map((e) => e.client.close()))
  }
}
