// A router's routes: (logical name, override dtab) → Route, bound through base ++ overrides
// and cached while the base dtab stays the same. A hit costs two WeakMap reads and one LRU
// lookup; a miss binds locally (no namerd round trip), and the route's addr subscriptions open
// watches only for concrete names nobody watched yet. The cache is bounded by count and by the
// routes' estimated size, since each l5d-dtab a client sends can make a route of its own.

import {
  BindWorkLimitError,
  type Bound,
  bind,
  type DelegateTree,
  Dtab,
  interpreterLookup,
  MAX_DEPTH,
  NameTree,
  Path,
} from '@switchyard/dtab'
import { errorMessage } from '@switchyard/wire'
import type { Interpreter } from '../interpret/types.js'
import { explainJson, explainSettled, explainTree } from './explain.js'
import { Lru } from './lru.js'
import { Route } from './route.js'

/** Routes kept at most (distinct name × override pairs). */
export const MAX_ROUTES = 10_000

/**
 * The estimated bytes (Route.bytes plus the key's text) the cached routes may hold together.
 *
 * Why this value: the count alone bounded the cache at 10,000 routes, but one l5d-dtab can
 * make a route as large as the work limit allows (up to 100,000 nodes: 10 to 80 MB), and a
 * client sending a new one with each request made the proxy hold gigabytes. The routes real
 * traffic makes (a leaf, or an alt or union of two, and a short key) weigh 4 to 6.5 KB, so
 * 10,000 of them fit in 64 MiB and the count still decides for them; routes of larger trees
 * are evicted by their size. The estimate runs high (route.ts), so the heap holds less.
 */
export const MAX_CACHED_BYTES = 64 * 1024 * 1024

/**
 * A route estimated above this is not cached with the others but kept apart, alone (see
 * #oversized), so one route cannot take the whole budget. 8 MiB is 10,000 tree nodes or a
 * union of 4,000 distinct names, far past any dtab written by hand.
 */
export const MAX_ROUTE_BYTES = 8 * 1024 * 1024

export interface RoutesOptions {
  /** Routes kept at most (distinct name × override pairs); default MAX_ROUTES. */
  readonly maxRoutes?: number
  /** The estimated bytes the cached routes may hold together; default MAX_CACHED_BYTES. */
  readonly maxBytes?: number
  /** Routes estimated above this are not cached with the others; default MAX_ROUTE_BYTES. */
  readonly maxRouteBytes?: number
  readonly maxDepth?: number
}

export type Resolved = Route | { readonly type: 'no-dtab' }
const NO_DTAB: Resolved = Object.freeze({ type: 'no-dtab' })

/** A delegation the work limit ended: one exception node (delegate in @switchyard/dtab). */
function workLimited(
  t: DelegateTree<Bound>,
): t is Extract<DelegateTree<Bound>, { type: 'exception' }> & { error: BindWorkLimitError } {
  return t.type === 'exception' && t.error instanceof BindWorkLimitError
}

/** The weight of a cached route: its estimated bytes and its key's (one byte per character). */
const weigh = (route: Route, key: string): number => route.bytes + key.length

export class Routes {
  readonly #cache: Lru<string, Route>
  readonly #maxDepth: number
  readonly #maxRouteBytes: number
  /** Nodes of the cached routes' bound trees. */
  #nodes = 0
  /**
   * The last route too large for the cache, and its key: it is kept (and its subscriptions
   * open) until the next one replaces it, so a request still using it is not cut off, and a
   * client that repeats its override does not bind it again. At most one such route is held.
   */
  #oversized: { readonly key: string; readonly route: Route } | undefined
  // Texts of the Path and Dtab objects seen: identifiers and the override cache hand the same
  // objects back for the same input, so the key costs no printing on the hot path.
  #pathText = new WeakMap<Path, string>()
  #dtabText = new WeakMap<Dtab, string>()
  readonly #off: () => void
  /** Bumped on each base dtab change; routes bound before are dropped. */
  version = 0

  constructor(
    readonly interpreter: Interpreter,
    options: RoutesOptions = {},
  ) {
    this.#maxDepth = options.maxDepth ?? MAX_DEPTH
    const maxBytes = options.maxBytes ?? MAX_CACHED_BYTES
    // A route heavier than the whole budget could not stay in the cache.
    this.#maxRouteBytes = Math.min(options.maxRouteBytes ?? MAX_ROUTE_BYTES, maxBytes)
    this.#cache = new Lru(options.maxRoutes ?? MAX_ROUTES, {
      maxWeight: maxBytes,
      weigh,
      onEvict: (route) => {
        this.#nodes -= route.nodes
        route.close()
      },
    })
    this.#off = interpreter.onChange(() => this.invalidate())
  }

  /** Routes cached now, the one kept apart for its size included. */
  get size(): number {
    return this.#cache.size + (this.#oversized === undefined ? 0 : 1)
  }

  /** Nodes of the cached routes' bound trees. */
  get nodes(): number {
    return this.#nodes + (this.#oversized?.route.nodes ?? 0)
  }

  /**
   * The estimated bytes of the cached routes and their keys: at most maxBytes, plus the one
   * route kept apart for its size (which the work limit bounds).
   */
  get bytes(): number {
    const o = this.#oversized
    return this.#cache.weight + (o === undefined ? 0 : weigh(o.route, o.key))
  }

  /** The bound on the cache's estimated bytes, the route kept apart aside. */
  get maxBytes(): number {
    return this.#cache.maxWeight
  }

  /** Drops every cached route (their watches close unless another route holds them). */
  invalidate(): void {
    this.version++
    this.#clear()
  }

  resolve(dst: Path, local: Dtab = Dtab.empty): Resolved {
    const base = this.interpreter.dtab
    if (base === undefined) return NO_DTAB
    const key = `${this.#dtabKey(local)}\n${this.#pathKey(dst)}`
    return this.#cache.get(key) ?? this.#miss(key, base, dst, local)
  }

  /**
   * The delegate-tree JSON (namerd-wire.md §1.4) of `dst` through base ++ `extra`, addrs as
   * now. Throws the BindWorkLimitError when `extra` makes the delegation exceed the work limit
   * and the base dtab alone does not (the caller's mistake, a 400 as namerd's delegate answers);
   * a base dtab that exceeds it shows as one exception node.
   */
  explain(dst: Path, extra: Dtab = Dtab.empty): string {
    return explainJson(this.interpreter, this.#tree(dst, extra))
  }

  /** explain, after waiting up to `timeoutMs` for the leaves' addrs (as namerd's delegate). */
  explainSettled(dst: Path, extra: Dtab = Dtab.empty, timeoutMs = 2000): Promise<string> {
    return explainSettled(this.interpreter, this.#tree(dst, extra), timeoutMs)
  }

  close(): void {
    this.#off()
    this.#clear()
  }

  #clear(): void {
    const o = this.#oversized
    this.#oversized = undefined
    this.#cache.clear()
    o?.route.close()
  }

  #miss(key: string, base: Dtab, dst: Path, local: Dtab): Route {
    if (this.#oversized?.key === key) return this.#oversized.route
    const route = this.#bind(base, dst, local)
    if (weigh(route, key) <= this.#maxRouteBytes) {
      this.#nodes += route.nodes
      return this.#cache.set(key, route)
    }
    // Read after the bind: binding an override may have resolved the name through the base
    // dtab alone, which can have replaced it.
    const previous = this.#oversized
    this.#oversized = { key, route }
    previous?.route.close()
    return route
  }

  #tree(dst: Path, extra: Dtab): DelegateTree<Bound> {
    const base = this.interpreter.dtab ?? Dtab.empty
    const tree = explainTree(this.interpreter, Dtab.concat(base, extra), dst)
    if (
      extra.length > 0 &&
      workLimited(tree) &&
      !workLimited(explainTree(this.interpreter, base, dst))
    )
      throw tree.error
    return tree
  }

  #bind(base: Dtab, dst: Path, local: Dtab): Route {
    const lookup = interpreterLookup(Dtab.concat(base, local), this.interpreter.namers)
    let tree: NameTree<Bound>
    try {
      // Alts keep every member: whether a name has endpoints is decided per request (picker.ts).
      tree = bind(lookup, NameTree.leaf(dst), this.#maxDepth, { keepAlts: true })
    } catch (err) {
      if (!(err instanceof BindWorkLimitError)) return Route.failed(dst, errorMessage(err))
      // The overrides are to blame when the base dtab alone binds the name within the limit
      // (that route is cached too, so a client that keeps sending them costs one lookup each).
      if (local.length > 0 && !this.#baseLimited(dst)) return Route.refused(dst, err.message)
      return Route.failed(dst, err.message, true)
    }
    return Route.bound(dst, tree, (id) => this.interpreter.addr(id))
  }

  #baseLimited(dst: Path): boolean {
    const base = this.resolve(dst)
    return base.type === 'route' && base.workLimited
  }

  #pathKey(p: Path): string {
    let s = this.#pathText.get(p)
    if (s === undefined) {
      s = Path.show(p)
      this.#pathText.set(p, s)
    }
    return s
  }

  #dtabKey(d: Dtab): string {
    if (d.length === 0) return ''
    let s = this.#dtabText.get(d)
    if (s === undefined) {
      s = Dtab.show(d)
      this.#dtabText.set(d, s)
    }
    return s
  }
}
