// Where names go, as live sources: bind, resolve, addr and bound-names produce a state each
// time their answer changes, and a one-shot request takes the first one. A namespace's dtab
// comes from the store (a missing namespace has the empty dtab, as in namerd); the namers are
// the configured ones plus the global `/$/` names.
import {
  BindWorkLimitError,
  type Bound,
  bind,
  compilePicker,
  type DelegateTree,
  Dtab,
  delegate,
  delegateTreeJson,
  interpreterLookup,
  javaDouble,
  NameTree,
  Path,
} from '@switchyard/dtab'
import {
  Addr,
  type AddrResolver,
  createAddrResolver,
  type MountedAddrNamer,
  type Var,
} from '@switchyard/namers'
import { type DtabEvent, type DtabStore, isValidNamespace, versionToETag } from '@switchyard/store'
import { errorMessage } from '@switchyard/wire'
import type { SharedDtabWatches } from './shared-watches.js'
import { iterableSource, type Sink, type Source } from './source.js'

export interface NamingOptions {
  /**
   * How often a live binding is computed again, to notice names a namer gained or lost (a
   * file added to an io.l5d.fs directory). Default 1000 ms, the fs namer's rescan interval.
   */
  readonly rebindIntervalMs?: number
}

/** Linkerd's `Paths.stripTransformerPrefix`: `/%/t/.../#/x` → `/#/x`. */
export function stripTransformerPrefix(id: Path): Path {
  if (id[0] !== '%') return id
  const i = id.findIndex((e) => e === '#' || e === '$')
  return i === -1 ? Path.empty : id.slice(i)
}

const str = (s: string): string => JSON.stringify(s)

/**
 * A bound tree as namerd's `bind` writes it: Linkerd's delegate-tree JSON built with no paths
 * or dentries, so a leaf is `{"type":"leaf","bound":{"addr":..,"id":..,"path":..}}`.
 */
export function boundTreeJson(tree: NameTree<Bound>, addrJson: (bound: Bound) => string): string {
  switch (tree.type) {
    case 'leaf': {
      const b = tree.value
      return `{"type":"leaf","bound":{"addr":${addrJson(b)},"id":${str(Path.show(b.id))},"path":${str(Path.show(b.residual))}}}`
    }
    case 'alt':
      return `{"type":"alt","alt":[${tree.trees.map((t) => boundTreeJson(t, addrJson)).join(',')}]}`
    case 'union': {
      const members = tree.branches.map(
        (b) => `{"weight":${javaDouble(b.weight)},"tree":${boundTreeJson(b.tree, addrJson)}}`,
      )
      return `{"type":"union","union":[${members.join(',')}]}`
    }
    default:
      return `{"type":"${tree.type}"}`
  }
}

function boundIds(tree: NameTree<Bound>, out: Path[] = []): Path[] {
  switch (tree.type) {
    case 'leaf':
      out.push(tree.value.id)
      break
    case 'alt':
      for (const t of tree.trees) boundIds(t, out)
      break
    case 'union':
      for (const b of tree.branches) boundIds(b.tree, out)
      break
  }
  return out
}

function delegateIds(tree: DelegateTree<Bound>, out: Path[] = []): Path[] {
  switch (tree.type) {
    case 'leaf':
      out.push(tree.value.id)
      break
    case 'delegate':
      delegateIds(tree.tree, out)
      break
    case 'alt':
      for (const t of tree.trees) delegateIds(t, out)
      break
    case 'union':
      for (const b of tree.branches) delegateIds(b.tree, out)
      break
  }
  return out
}

/**
 * The live Addrs of a set of bound ids: subscribes to each while it is in the set, and calls
 * `onChange` when any of them changes.
 */
class AddrWatch {
  readonly #subs = new Map<string, { readonly v: Var<Addr>; readonly unsubscribe: () => void }>()
  /** Subscribing starts a namer, which may report at once; the caller renders after `keep`. */
  #quiet = false

  constructor(
    private readonly resolver: AddrResolver,
    private readonly onChange: () => void,
  ) {}

  keep(ids: readonly Path[]): void {
    const wanted = new Map(ids.map((id) => [Path.show(id), id]))
    this.#quiet = true
    try {
      for (const [key, sub] of this.#subs) {
        if (!wanted.has(key)) {
          sub.unsubscribe()
          this.#subs.delete(key)
        }
      }
      for (const [key, id] of wanted) {
        if (this.#subs.has(key)) continue
        const v = this.resolver.addr(id)
        const unsubscribe = v.subscribe(() => {
          if (!this.#quiet) this.onChange()
        })
        this.#subs.set(key, { v, unsubscribe })
      }
    } finally {
      this.#quiet = false
    }
  }

  get(id: Path): Addr {
    return this.#subs.get(Path.show(id))?.v.sample() ?? Addr.pending
  }

  /** Some address is still being found; namerd withholds an answer until none is. */
  get pending(): boolean {
    for (const { v } of this.#subs.values()) if (v.sample().type === 'pending') return true
    return false
  }

  close(): void {
    for (const sub of this.#subs.values()) sub.unsubscribe()
    this.#subs.clear()
  }
}

interface DtabListener {
  dtab(dtab: Dtab, version: string | null): void
  fail(message: string): void
  end(): void
}

/** A namer that can list its names (Linkerd's EnumeratingNamer), as the fs namer can. */
interface Enumerating {
  names(): readonly Path[]
}

function isEnumerating(namer: object): namer is Enumerating {
  return typeof (namer as Partial<Enumerating>).names === 'function'
}

export class Naming {
  readonly resolver: AddrResolver
  readonly #rebindMs: number
  readonly #dtabWatches: SharedDtabWatches | null

  constructor(
    private readonly store: DtabStore,
    readonly namers: readonly MountedAddrNamer[],
    options: NamingOptions & {
      readonly resolver?: AddrResolver
      /** Shared store watches; without them, each bind or resolve watch opens its own. */
      readonly dtabWatches?: SharedDtabWatches
    } = {},
  ) {
    this.#dtabWatches = options.dtabWatches ?? null
    this.resolver = options.resolver ?? createAddrResolver(namers)
    this.#rebindMs = options.rebindIntervalMs ?? 1000
  }

  /** The namespace's dtab as it changes; an absent namespace (or one that cannot exist) is empty. */
  #watchDtab(namespace: string | null, listener: DtabListener): () => void {
    if (namespace === null || !isValidNamespace(namespace)) {
      let stopped = false
      queueMicrotask(() => {
        if (!stopped) listener.dtab(Dtab.empty, null)
      })
      return () => {
        stopped = true
      }
    }
    if (this.#dtabWatches !== null) {
      return this.#dtabWatches.subscribe(namespace, {
        state(state) {
          if (state.type === 'dtab') listener.dtab(state.rendered.dtab, state.rendered.etag)
          else if (state.type === 'corrupt') listener.fail(state.message)
          else listener.dtab(Dtab.empty, null)
        },
        fail: (m) => listener.fail(m),
        end: () => listener.end(),
      })
    }
    const sink: Sink = { state() {}, fail: (m) => listener.fail(m), end: () => listener.end() }
    const source = iterableSource(
      (signal) => this.store.watch(namespace, { signal }),
      (event: DtabEvent) => {
        switch (event.type) {
          case 'dtab':
            listener.dtab(event.dtab, versionToETag(event.version))
            break
          case 'absent':
          case 'deleted':
            listener.dtab(Dtab.empty, null)
            break
          case 'corrupt':
            listener.fail(event.error.message)
            break
        }
      },
    )
    return source(sink)
  }

  /**
   * The bound tree of `path` under the namespace's dtab plus `extra`, each time it changes
   * (and, with the same tree, each time the dtab's version changes).
   */
  #watchTree(
    namespace: string | null,
    path: Path,
    extra: Dtab,
    sink: Sink,
    onTree: (tree: NameTree<Bound>, version: string | null, changed: boolean) => void,
  ): () => void {
    let current: { dtab: Dtab; version: string | null } | undefined
    let key: string | undefined
    let done = false
    const stop = () => {
      done = true
      clearInterval(timer)
      stopDtab()
    }
    const rebind = (dtabChanged: boolean) => {
      if (done || current === undefined) return
      let tree: NameTree<Bound>
      try {
        tree = bind(
          interpreterLookup(Dtab.concat(current.dtab, extra), this.namers),
          NameTree.leaf(path),
        )
      } catch (err) {
        stop()
        const refused = this.#overrideAtFault(err, current.dtab, extra, path)
        sink.fail(errorMessage(err), refused ? 'bind_work_limit' : undefined)
        return
      }
      const next = boundTreeJson(tree, () => '0')
      const changed = next !== key
      key = next
      if (changed || dtabChanged) onTree(tree, current.version, changed)
    }
    const stopDtab = this.#watchDtab(namespace, {
      dtab: (dtab, version) => {
        current = { dtab, version }
        rebind(true)
      },
      fail: (m) => {
        if (done) return
        stop()
        sink.fail(m)
      },
      end: () => {
        if (done) return
        stop()
        sink.end()
      },
    })
    // Namers gain and lose names (files come and go) without telling: look again now and then.
    const timer = setInterval(() => rebind(false), this.#rebindMs)
    timer.unref()
    return stop
  }

  /**
   * Whether `err` is the work limit and the request's own dentries caused it: the namespace's
   * dtab alone binds `path` within the limit. Such a request gets a 400; a namespace whose own
   * dtab is too much for a name fails that name only (a 500, as namerd's depth limit does).
   * The second bind runs only on this failure, and is bounded like the first.
   */
  #overrideAtFault(err: unknown, dtab: Dtab, extra: Dtab, path: Path): boolean {
    if (!(err instanceof BindWorkLimitError) || extra.length === 0) return false
    try {
      bind(interpreterLookup(dtab, this.namers), NameTree.leaf(path))
      return true
    } catch (own) {
      return !(own instanceof BindWorkLimitError)
    }
  }

  /** namerd's `bind`: the bound tree with each leaf's addr, once no addr is pending. */
  bind(namespace: string | null, path: Path, extra: Dtab): Source {
    return (sink) => {
      let tree: NameTree<Bound> | undefined
      let version: string | null = null
      const render = () => {
        if (tree === undefined || addrs.pending) return
        const t = tree
        sink.state({ text: `${boundTreeJson(t, (b) => Addr.toJson(addrs.get(b.id)))}\n`, version })
      }
      const addrs = new AddrWatch(this.resolver, render)
      const stopTree = this.#watchTree(namespace, path, extra, sink, (t, v) => {
        tree = t
        version = v
        addrs.keep(boundIds(t))
        render()
      })
      return () => {
        stopTree()
        addrs.close()
      }
    }
  }

  /**
   * namerd's `resolve`: one leaf drawn from the bound tree (a weighted pick in unions), and
   * its addr; `{"type":"neg"}` when the draw finds no leaf. A new draw only when the tree changes.
   */
  resolve(namespace: string | null, path: Path, extra: Dtab): Source {
    return (sink) => {
      let picked: Bound | null = null
      let version: string | null = null
      const render = () => {
        if (picked === null) {
          sink.state({ text: '{"type":"neg"}\n', version })
          return
        }
        if (addrs.pending) return
        sink.state({ text: `${Addr.toJson(addrs.get(picked.id))}\n`, version })
      }
      const addrs = new AddrWatch(this.resolver, render)
      const stopTree = this.#watchTree(namespace, path, extra, sink, (tree, v, changed) => {
        version = v
        if (changed) {
          const pick = compilePicker(tree)()
          picked = pick.type === 'bound' ? pick.bound : null
          addrs.keep(picked === null ? [] : [picked.id])
        }
        render()
      })
      return () => {
        stopTree()
        addrs.close()
      }
    }
  }

  /** namerd's `addr`: the live Addr of a bound id (a transformer prefix is stripped). */
  addr(id: Path): Source {
    const target = stripTransformerPrefix(id)
    return (sink) => {
      const addrs = new AddrWatch(this.resolver, () => render())
      const render = () => {
        const addr = addrs.get(target)
        if (addr.type !== 'pending') sink.state({ text: `${Addr.toJson(addr)}\n` })
      }
      addrs.keep([target])
      queueMicrotask(render)
      return () => addrs.close()
    }
  }

  /** Every name the enumerating namers (io.l5d.fs) know, sorted. */
  boundNames(): string[] {
    const names = new Set<string>()
    for (const { namer } of this.namers) {
      if (isEnumerating(namer)) for (const id of namer.names()) names.add(Path.show(id))
    }
    return [...names].sort()
  }

  /**
   * namerd's `bound-names`, polled (namers do not announce new names). Rendered as namerd
   * does, by joining strings: the empty set is `[""]`.
   */
  boundNamesSource(): Source {
    return (sink) => {
      const render = () => {
        const names = this.boundNames().map((n) => str(n).slice(1, -1))
        sink.state({ text: `["${names.join('","')}"]\n` })
      }
      queueMicrotask(render)
      const timer = setInterval(render, this.#rebindMs)
      timer.unref()
      return () => clearInterval(timer)
    }
  }

  /** The dtab stored for a namespace, or the empty dtab. */
  async dtabOf(namespace: string | null): Promise<Dtab> {
    if (namespace === null || !isValidNamespace(namespace)) return Dtab.empty
    return (await this.store.get(namespace))?.dtab ?? Dtab.empty
  }

  /**
   * The delegation tree JSON (Linkerd's, via delegateTreeJson) of `path` through `base` ++
   * `extra` once every leaf's addr is known; null if that takes longer than `timeoutMs`
   * (namerd: 503 after 2 s). A delegation past the work limit is one exception node when
   * `base` alone is too much for the path; when `extra` (the request's dentries) makes it so,
   * the BindWorkLimitError is thrown, for a 400.
   */
  async delegateJson(
    base: Dtab,
    extra: Dtab,
    path: Path,
    timeoutMs: number,
  ): Promise<string | null> {
    const tree = delegate(Dtab.concat(base, extra), path, { namers: this.namers })
    if (tree.type === 'exception' && tree.error instanceof BindWorkLimitError && extra.length > 0) {
      const own = delegate(base, path, { namers: this.namers })
      if (!(own.type === 'exception' && own.error instanceof BindWorkLimitError)) throw tree.error
    }
    let wake: () => void = () => {}
    const addrs = new AddrWatch(this.resolver, () => wake())
    try {
      addrs.keep(delegateIds(tree))
      if (addrs.pending) {
        const ready = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs)
          wake = () => {
            if (addrs.pending) return
            clearTimeout(timer)
            resolve(true)
          }
        })
        if (!ready) return null
      }
      return delegateTreeJson(tree, (b) => Addr.toJson(addrs.get(b.id)))
    } finally {
      addrs.close()
    }
  }
}
