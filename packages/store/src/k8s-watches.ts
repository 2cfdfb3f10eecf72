// The k8s store's watches: every namespace watch and list watch is fed by the one shared
// list-then-watch loop over the DTab objects (the Reflector). A new watch starts at the state a
// direct read returns, waiting (up to catchUpMs) for the loop's cache to reach it, so a watch
// opened after a write starts at or after that write; while the API server cannot be asked it
// starts at once from the last known state.
import type { Reflector } from '@switchyard/kube'
import { dtabChannel, listChannel, namespacesState } from './events.js'
import { live } from './k8s-deleting.js'
import { K8S_NAMESPACE_RULE } from './k8s-names.js'
import { type DTabObject, dtabEvent } from './k8s-objects.js'
import type { DtabEvent, NamespacesEvent, WatchOptions } from './store.js'
import type { WatchChannel } from './watch-channel.js'

/** What a direct read said a namespace is: absent, or at a resourceVersion. */
type Target = { readonly exists: false } | { readonly exists: true; readonly rv: string }

interface NamespaceWatch {
  readonly namespace: string
  readonly channel: WatchChannel<DtabEvent>
  started: boolean
  target: Target | null
  timer: NodeJS.Timeout | null
}

interface ListWatch {
  readonly channel: WatchChannel<NamespacesEvent>
  started: boolean
  target: ReadonlySet<string> | null
  timer: NodeJS.Timeout | null
}

export interface K8sWatchesOptions {
  readonly reflector: Reflector<DTabObject>
  readonly k8sNamespace: string
  /** A direct read of one DTab (null if absent); throws when the API server cannot answer. */
  readonly getObject: (namespace: string) => Promise<DTabObject | null>
  /** A direct read of every DTab name. */
  readonly listNames: () => Promise<string[]>
  /** How long a new watch waits for the loop to reach a direct read's state. */
  readonly catchUpMs: number
}

export class K8sWatches {
  private readonly watches = new Set<NamespaceWatch>()
  private readonly listWatches = new Set<ListWatch>()
  private closed = false

  constructor(private readonly o: K8sWatchesOptions) {}

  watch(namespace: string, options: WatchOptions): AsyncIterableIterator<DtabEvent> {
    const w: NamespaceWatch = {
      namespace,
      channel: dtabChannel(options, () => {
        this.watches.delete(w)
        if (w.timer) clearTimeout(w.timer)
      }),
      started: false,
      target: null,
      timer: null,
    }
    this.watches.add(w)
    void this.start(w)
    return w.channel
  }

  watchList(options: WatchOptions): AsyncIterableIterator<NamespacesEvent> {
    const w: ListWatch = {
      channel: listChannel(options, () => {
        this.listWatches.delete(w)
        if (w.timer) clearTimeout(w.timer)
      }),
      started: false,
      target: null,
      timer: null,
    }
    this.listWatches.add(w)
    void this.startList(w)
    return w.channel
  }

  /** Ends every watch. */
  close(): void {
    this.closed = true
    for (const w of [...this.watches]) w.channel.end()
    for (const w of [...this.listWatches]) w.channel.end()
  }

  /** The watch loop changed these namespaces: tell their watchers, then the list watchers. */
  changed(keys: readonly string[]): void {
    if (this.closed) return
    const changed = new Set(keys)
    for (const w of this.watches) {
      if (!changed.has(w.namespace)) continue
      if (w.started) w.channel.push(this.stateOf(w.namespace))
      else if (w.target && this.reached(w.namespace, w.target)) this.begin(w)
    }
    if (this.listWatches.size === 0) return
    const names = this.cachedNames()
    for (const w of this.listWatches) {
      if (w.started) w.channel.push(namespacesState(names))
      else if (w.target && sameSet(w.target, names)) this.beginList(w)
    }
  }

  /** Every dtab namespace the loop's cache holds (its last known state). */
  cachedNames(): string[] {
    const names: string[] = []
    for (const [name, object] of this.o.reflector.objects())
      if (K8S_NAMESPACE_RULE.test(name) && live(object)) names.push(name)
    return names
  }

  /**
   * Starts a namespace watch at the state the API server has now: a direct read gives the
   * target, and the watch begins once the shared loop's cache has reached it (or after
   * catchUpMs, or at once when the API server cannot be asked).
   */
  private async start(w: NamespaceWatch): Promise<void> {
    const { reflector } = this.o
    if (!(await reflector.whenSynced()) || w.channel.closed) return
    let target: Target | null = null
    if (reflector.health.state === 'synced') {
      try {
        const object = live(await this.o.getObject(w.namespace))
        target = object ? { exists: true, rv: object.metadata.resourceVersion } : { exists: false }
      } catch {
        target = null // the API server is away: the last known state is all there is
      }
    }
    if (w.channel.closed) return
    if (target === null || this.reached(w.namespace, target)) return this.begin(w)
    w.target = target
    w.timer = setTimeout(() => this.begin(w), this.o.catchUpMs)
  }

  private async startList(w: ListWatch): Promise<void> {
    const { reflector } = this.o
    if (!(await reflector.whenSynced()) || w.channel.closed) return
    let target: Set<string> | null = null
    if (reflector.health.state === 'synced') {
      try {
        target = new Set(await this.o.listNames())
      } catch {
        target = null
      }
    }
    if (w.channel.closed) return
    if (target === null || sameSet(target, this.cachedNames())) return this.beginList(w)
    w.target = target
    w.timer = setTimeout(() => this.beginList(w), this.o.catchUpMs)
  }

  private begin(w: NamespaceWatch): void {
    if (w.started || w.channel.closed) return
    w.started = true
    if (w.timer) clearTimeout(w.timer)
    w.timer = null
    w.channel.push(this.stateOf(w.namespace))
  }

  private beginList(w: ListWatch): void {
    if (w.started || w.channel.closed) return
    w.started = true
    if (w.timer) clearTimeout(w.timer)
    w.timer = null
    w.channel.push(namespacesState(this.cachedNames()))
  }

  /** Whether the cache has reached (or passed) what a direct read said. */
  private reached(namespace: string, target: Target): boolean {
    const object = live(this.o.reflector.get(namespace))
    if (!target.exists) return object === undefined
    if (!object) return false
    const rv = object.metadata.resourceVersion
    return rv === target.rv || laterThan(rv, target.rv)
  }

  /** A DTab being deleted is deleted here (k8s-deleting.ts). */
  private stateOf(namespace: string): DtabEvent {
    const object = live(this.o.reflector.get(namespace))
    return object
      ? dtabEvent(namespace, this.o.k8sNamespace, object)
      : { type: 'deleted', namespace }
  }
}

/**
 * Whether resourceVersion `a` is later than `b`. Only to tell whether the watch loop has
 * passed a state a direct read returned: resourceVersions are opaque, but every API server in
 * use serves etcd revisions (decimal, one counter); anything else is "not known to be later".
 */
function laterThan(a: string, b: string): boolean {
  return /^[0-9]{1,30}$/.test(a) && /^[0-9]{1,30}$/.test(b) && BigInt(a) > BigInt(b)
}

function sameSet(a: ReadonlySet<string>, b: readonly string[]): boolean {
  return a.size === b.length && b.every((x) => a.has(x))
}
