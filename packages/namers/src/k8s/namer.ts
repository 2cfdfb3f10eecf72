// io.l5d.k8s: `/#/io.l5d.k8s/<namespace>/<port>/<service>[/<label value>]` to the ready
// endpoints of that Service port, from EndpointSlices, watched. Watches are made per
// (namespace, service[, label value]) only while someone observes an addr, shared by every
// port and observer of that Service, and closed a while after the last one leaves.
//
// Lookups are synchronous here, while Linkerd's namer answered with an Activity: a lookup reads
// the state of a watch that is open (or lingering) and says Neg when the Service or its port is
// known not to exist, so a dtab Alt falls through as it did in Linkerd; a name nobody watches
// yet binds, and its addr (Neg once known) tells the rest. namerd binds again every second, and
// each lookup keeps a lingering watch alive, so its answer settles within that second.
import { bound, type Name, NameTree, Path } from '@switchyard/dtab'
import type { BackoffOptions, KubeConnection, KubeEnvironment } from '@switchyard/kube'
import { Addr } from '../addr.js'
import type { NamerLogger } from '../logger.js'
import { namerPrefix } from '../prefix.js'
import type { AddrNamer } from '../resolver.js'
import { updateSafely, Var } from '../var.js'
import type { OpenCollection } from './collection.js'
import { type K8sName, parseK8sName } from './names.js'
import { keyOf, type ServiceKey, ServiceWatch, type ServiceWatchState } from './service-watch.js'

export const DEFAULT_PREFIX = 'io.l5d.k8s'
/** How long a watch nobody observes stays open, kept alive by lookups of its names. */
export const DEFAULT_LINGER_MS = 10_000
/** At most this many unobserved watches linger; the least recently used close first. */
export const DEFAULT_MAX_LINGERING = 256

/** Timings, for tests and tuning. */
export interface K8sNamerTuning {
  readonly lingerMs?: number
  readonly maxLingering?: number
  /** Retries while the API server is away (the kube package's defaults: 250 ms up to 10 s). */
  readonly backoff?: BackoffOptions
  /** Where the default connection looks (environment, home, service account); for tests. */
  readonly environment?: KubeEnvironment
}

export interface K8sNamerOptions extends K8sNamerTuning {
  readonly connection: KubeConnection
  /** Mounted at `/#/<prefix>`; default `io.l5d.k8s`. */
  readonly prefix?: string | undefined
  /** A label key: names take its value as a fourth segment (Linkerd's `labelSelector`). */
  readonly labelSelector?: string | undefined
  /** How selections are listed and watched; default @switchyard/kube over `connection`. */
  readonly openCollection?: OpenCollection
  /**
   * Where the default collections log a read that fails (403, the API server away) and its
   * recovery, once per change; none by default.
   */
  readonly logger?: NamerLogger | undefined
}

export interface K8sNamerState {
  readonly prefix: string
  readonly labelSelector?: string
  readonly watches: readonly (ServiceWatchState & {
    readonly observers: number
    readonly lingering: boolean
  })[]
}

/** The namer cannot start: no Kubernetes configuration to be found, or a bad one. */
export class K8sNamerError extends Error {
  override readonly name = 'K8sNamerError'
}

interface Entry {
  readonly watch: ServiceWatch
  observers: number
  /** When a lookup or an observer last used it. */
  used: number
  timer: NodeJS.Timeout | undefined
}

export class K8sNamer implements AddrNamer {
  readonly prefix: Path
  readonly labelSelector: string | undefined
  readonly #open: OpenCollection
  readonly #lingerMs: number
  readonly #maxLingering: number
  readonly #entries = new Map<string, Entry>()
  #closed = false

  private constructor(options: K8sNamerOptions, open: OpenCollection) {
    this.prefix = namerPrefix(options.prefix ?? DEFAULT_PREFIX)
    this.labelSelector = options.labelSelector
    this.#open = open
    this.#lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS
    this.#maxLingering = options.maxLingering ?? DEFAULT_MAX_LINGERING
  }

  /**
   * Prepares the connection (reading the service account or kubeconfig; throws KubeError when
   * there is none). No call is made to the API server until a name is watched.
   */
  static async open(options: K8sNamerOptions): Promise<K8sNamer> {
    // Loaded here, not at the top: @kubernetes/client-node takes about a second to load, which
    // every user of this package (io.l5d.fs alone, say) would otherwise pay at startup.
    const { openKubeCollections } = await import('./kube-collections.js')
    let open = options.openCollection
    try {
      open ??= openKubeCollections(options.connection, {
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        ...(options.environment === undefined ? {} : { environment: options.environment }),
        ...(options.logger === undefined
          ? {}
          : {
              logger: options.logger,
              namer: Path.show(namerPrefix(options.prefix ?? DEFAULT_PREFIX)),
            }),
      }).open
    } catch (err) {
      throw new K8sNamerError(
        `io.l5d.k8s: ${err instanceof Error ? err.message : String(err)}; for this namer, kubectl proxy is \`host: 127.0.0.1, port: 8001\``,
        { cause: err },
      )
    }
    return new K8sNamer(options, open)
  }

  /**
   * `/<ns>/<port>/<svc>[/<label value>]/rest` → a leaf bound to `/#/<prefix>/<ns>/<port>/<svc>
   * [/<label value>]` (lowercased, as Linkerd) with residual `/rest`; Neg for a name that cannot
   * exist, or whose Service or port a watch knows to be missing.
   */
  lookup(path: Path): NameTree<Name> {
    const name = parseK8sName(path, this.labelSelector !== undefined)
    if (name === undefined) return NameTree.Neg
    const entry = this.#entries.get(keyOf(this.#key(name)))
    if (entry !== undefined) {
      entry.used = Date.now()
      if (entry.watch.exists(name.port) === false) return NameTree.Neg
    }
    return this.#leaf(name)
  }

  /**
   * The lookup by the name's shape alone, whatever exists now: for a router that binds once
   * and follows each name's addr (Neg while the Service or port is missing).
   */
  lookupByShape(path: Path): NameTree<Name> {
    const name = parseK8sName(path, this.labelSelector !== undefined)
    return name === undefined ? NameTree.Neg : this.#leaf(name)
  }

  /**
   * The live Addr of a bound id (the part after the prefix): pending until the API server
   * answers, then the ready endpoints; Neg for a missing Service or port, or an id that is not
   * one of this namer's.
   */
  addr(path: Path): Var<Addr> {
    const name = parseK8sName(path, this.labelSelector !== undefined)
    if (name === undefined || name.residual.length > 0) return Var.value<Addr>(Addr.neg)
    const key = this.#key(name)
    const port = name.port
    return Var.async<Addr>(
      Addr.pending,
      (update) => {
        const entry = this.#acquire(key)
        if (entry === undefined) {
          update(Addr.failed('the io.l5d.k8s namer is closed'))
          return () => {}
        }
        const stop = entry.watch.listen(() => updateSafely(update, entry.watch.addr(port)))
        update(entry.watch.addr(port))
        return () => {
          stop()
          this.#release(entry)
        }
      },
      { equals: Addr.equals },
    )
  }

  /** The watches and their health, as Linkerd's `/namer_state/io.l5d.k8s.json` shows them. */
  state(): K8sNamerState {
    const watches = [...this.#entries.values()].map((e) => ({
      ...e.watch.state(),
      observers: e.observers,
      lingering: e.observers === 0,
    }))
    return {
      prefix: Path.show(this.prefix),
      ...(this.labelSelector === undefined ? {} : { labelSelector: this.labelSelector }),
      watches,
    }
  }

  /** Stops every watch. Addrs observed now keep their last value. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    await Promise.all(
      entries.map((entry) => {
        clearTimeout(entry.timer)
        return entry.watch.close()
      }),
    )
  }

  #leaf(name: K8sName): NameTree<Name> {
    return NameTree.leaf(bound(Path.concat(this.prefix, name.id), name.residual))
  }

  #key(name: K8sName): ServiceKey {
    const base = { namespace: name.namespace, service: name.service }
    return name.labelValue === undefined || this.labelSelector === undefined
      ? base
      : { ...base, label: `${this.labelSelector}=${name.labelValue}` }
  }

  #acquire(key: ServiceKey): Entry | undefined {
    if (this.#closed) return undefined
    const k = keyOf(key)
    let entry = this.#entries.get(k)
    if (entry === undefined) {
      entry = {
        watch: new ServiceWatch(key, this.#open),
        observers: 0,
        used: Date.now(),
        timer: undefined,
      }
      this.#entries.set(k, entry)
    }
    entry.observers++
    entry.used = Date.now()
    clearTimeout(entry.timer)
    entry.timer = undefined
    return entry
  }

  #release(entry: Entry): void {
    entry.observers--
    if (entry.observers > 0 || this.#closed) return
    entry.used = Date.now()
    this.#linger(entry, this.#lingerMs)
    this.#trimLingering()
  }

  /** Closes `entry` once nobody has used it for lingerMs (lookups count as use). */
  #linger(entry: Entry, ms: number): void {
    entry.timer = setTimeout(() => {
      entry.timer = undefined
      if (entry.observers > 0) return
      const idle = Date.now() - entry.used
      if (idle < this.#lingerMs) this.#linger(entry, this.#lingerMs - idle)
      else this.#drop(entry)
    }, ms)
    entry.timer.unref()
  }

  #trimLingering(): void {
    const lingering = [...this.#entries.values()].filter((e) => e.observers === 0)
    if (lingering.length <= this.#maxLingering) return
    lingering.sort((a, b) => a.used - b.used)
    for (const e of lingering.slice(0, lingering.length - this.#maxLingering)) this.#drop(e)
  }

  #drop(entry: Entry): void {
    clearTimeout(entry.timer)
    void entry.watch.close()
    const k = keyOf(entry.watch.key)
    if (this.#entries.get(k) === entry) this.#entries.delete(k)
  }
}
