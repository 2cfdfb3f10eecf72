// One Client per concrete name (bound id) per router, shared by every route that reaches it,
// fed by the id's live Addr. A client nobody has used for a while is closed and forgotten, so
// names that overrides once pointed at do not hold connections and watches for ever.
import type { Addr, Var } from '@switchyard/namers'
import type { Client } from '../balance/client.js'
import type { EndpointPool } from '../balance/endpoint.js'

/** Makes the client of one bound id: the protocol's, with the settings that id resolves to. */
export type ClientFactory<P extends EndpointPool> = (id: string) => Client<P>

interface Entry<P extends EndpointPool> {
  readonly client: Client<P>
  readonly unsubscribe: () => void
  lastUsed: number
}

export class ClientRegistry<P extends EndpointPool> {
  private readonly entries = new Map<string, Entry<P>>()
  private readonly sweeper: NodeJS.Timeout

  constructor(
    private readonly create: ClientFactory<P>,
    private readonly idleMs = 10 * 60_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000))
    this.sweeper.unref()
  }

  /** The client for `id`, created (and subscribed to `addr`) on first use. */
  get(id: string, addr: Var<Addr>, now = Date.now()): Client<P> {
    let e = this.entries.get(id)
    if (e === undefined) {
      const client = this.create(id)
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
