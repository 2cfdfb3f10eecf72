// A router's routes: (logical name, override dtab) → Route, bound through base ++ overrides
// and cached while the base dtab stays the same. A hit costs two WeakMap reads and one LRU
// lookup; a miss binds locally (no namerd round trip), and the route's addr subscriptions open
// watches only for concrete names nobody watched yet.
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
import type { Interpreter } from '../interpret/types.js'
import { explainJson, explainSettled, explainTree } from './explain.js'
import { Lru } from './lru.js'
import { Route } from './route.js'

export interface RoutesOptions {
  /** Routes kept at most (distinct name × override pairs); default 10000. */
  readonly maxRoutes?: number
  readonly maxDepth?: number
}

export type Resolved = Route | { readonly type: 'no-dtab' }
const NO_DTAB: Resolved = Object.freeze({ type: 'no-dtab' })

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export class Routes {
  readonly #cache: Lru<string, Route>
  readonly #maxDepth: number
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
    this.#cache = new Lru(options.maxRoutes ?? 10_000, (route) => route.close())
    this.#off = interpreter.onChange(() => this.invalidate())
  }

  /** Routes cached now. */
  get size(): number {
    return this.#cache.size
  }

  /** Drops every cached route (their watches close unless another route holds them). */
  invalidate(): void {
    this.version++
    this.#cache.clear()
  }

  resolve(dst: Path, local: Dtab = Dtab.empty): Resolved {
    const base = this.interpreter.dtab
    if (base === undefined) return NO_DTAB
    const key = `${this.#dtabKey(local)}\n${this.#pathKey(dst)}`
    return this.#cache.get(key) ?? this.#cache.set(key, this.#bind(base, dst, local))
  }

  /** The delegate-tree JSON (namerd-wire.md §1.4) of `dst` through base ++ `extra`, addrs as now. */
  explain(dst: Path, extra: Dtab = Dtab.empty): string {
    return explainJson(this.interpreter, this.#tree(dst, extra))
  }

  /** explain, after waiting up to `timeoutMs` for the leaves' addrs (as namerd's delegate). */
  explainSettled(dst: Path, extra: Dtab = Dtab.empty, timeoutMs = 2000): Promise<string> {
    return explainSettled(this.interpreter, this.#tree(dst, extra), timeoutMs)
  }

  close(): void {
    this.#off()
    this.#cache.clear()
  }

  #tree(dst: Path, extra: Dtab): DelegateTree<Bound> {
    return explainTree(
      this.interpreter,
      Dtab.concat(this.interpreter.dtab ?? Dtab.empty, extra),
      dst,
    )
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
