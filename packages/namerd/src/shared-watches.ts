// One store watch per namespace, shared by everyone in this process who watches that namespace
// (dtab watch streams, bind and resolve watches). A thousand proxies watching one namespace cost
// one store watch (on etcd, one watch and no read per stream), and each state is serialised
// once per codec: every stream is handed the same Buffer. The store watch opens with the first
// subscriber and closes when the last one leaves.
//
// Each subscriber keeps its own pace: it is handed states synchronously and decides what to
// keep (a StateStream holds at most one unsent state), so a slow or stuck one costs bounded
// memory and never holds up the others.
import { type DtabEvent, type DtabStore, versionToETag } from '@switchyard/store'
import { errorMessage } from '@switchyard/wire'
import { RenderedDtab } from './rendered-dtabs.js'

/** A state of the namespace as the store reported it; a dtab comes with its rendered bodies. */
export type SharedDtabState =
  | { readonly type: 'dtab'; readonly rendered: RenderedDtab }
  | { readonly type: 'absent' | 'deleted' }
  | { readonly type: 'corrupt'; readonly message: string }

export interface DtabSubscriber {
  /** The current state on subscribing, then every change, in order. */
  state(state: SharedDtabState): void
  /** The store watch failed. Nothing follows. */
  fail(message: string): void
  /** The store closed. Nothing follows. */
  end(): void
}

interface Subscription {
  readonly subscriber: DtabSubscriber
  /** Whether it has been handed a state (or the end) yet. */
  primed: boolean
}

class NamespaceWatch {
  readonly subscriptions = new Set<Subscription>()
  /** The latest state the store reported; null until the first. */
  current: SharedDtabState | null = null
  readonly #ac = new AbortController()

  constructor(
    store: DtabStore,
    readonly namespace: string,
    private readonly onDone: () => void,
  ) {
    // May throw (an invalid namespace, a closed store): then nobody subscribed.
    const events = store.watch(namespace, { signal: this.#ac.signal })
    void this.#run(events)
  }

  get stopped(): boolean {
    return this.#ac.signal.aborted
  }

  stop(): void {
    this.#ac.abort()
  }

  async #run(events: AsyncIterable<DtabEvent>): Promise<void> {
    try {
      for await (const event of events) {
        if (this.stopped) return
        const state = shared(event)
        this.current = state
        for (const s of [...this.subscriptions]) {
          s.primed = true
          s.subscriber.state(state)
        }
      }
      if (!this.stopped) this.#finish((s) => s.end())
    } catch (err) {
      if (!this.stopped) this.#finish((s) => s.fail(errorMessage(err)))
    }
  }

  #finish(tell: (s: DtabSubscriber) => void): void {
    this.stop()
    this.onDone()
    for (const s of [...this.subscriptions]) {
      s.primed = true
      tell(s.subscriber)
    }
    this.subscriptions.clear()
  }
}

function shared(event: DtabEvent): SharedDtabState {
  switch (event.type) {
    case 'dtab':
      return { type: 'dtab', rendered: new RenderedDtab(event.dtab, versionToETag(event.version)) }
    case 'corrupt':
      return { type: 'corrupt', message: event.error.message }
    case 'absent':
    case 'deleted':
      return { type: event.type }
  }
}

export class SharedDtabWatches {
  readonly #watches = new Map<string, NamespaceWatch>()

  constructor(private readonly store: DtabStore) {}

  /** Namespaces with an open store watch (for tests and metrics). */
  get size(): number {
    return this.#watches.size
  }

  /**
   * Subscribes to the namespace's states; returns the function that unsubscribes. Throws what
   * `store.watch` throws (InvalidNamespaceError, StoreClosedError). The current state, when the
   * shared watch already has one, comes on a microtask, as a new store watch's first event would.
   */
  subscribe(namespace: string, subscriber: DtabSubscriber): () => void {
    let watch = this.#watches.get(namespace)
    if (watch === undefined) {
      const created: NamespaceWatch = new NamespaceWatch(this.store, namespace, () => {
        if (this.#watches.get(namespace) === created) this.#watches.delete(namespace)
      })
      watch = created
      this.#watches.set(namespace, watch)
    }
    const w = watch
    const subscription: Subscription = { subscriber, primed: false }
    w.subscriptions.add(subscription)
    if (w.current !== null) {
      queueMicrotask(() => {
        // Only if nothing newer reached it meanwhile: states must arrive in order.
        if (subscription.primed || !w.subscriptions.has(subscription) || w.current === null) return
        subscription.primed = true
        subscriber.state(w.current)
      })
    }
    return () => {
      if (!w.subscriptions.delete(subscription)) return
      if (w.subscriptions.size === 0 && !w.stopped) {
        w.stop()
        if (this.#watches.get(namespace) === w) this.#watches.delete(namespace)
      }
    }
  }
}
