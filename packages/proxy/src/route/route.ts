// One logical name bound through one dtab: the bound tree, compiled for picking, and the addr
// subscriptions that keep its names watched (so a pick reads current endpoints in O(1)) for as
// long as the route is cached.
import { type Bound, NameTree, Path } from '@switchyard/dtab'
import type { Addr, Var } from '@switchyard/namers'
import {
  AVAILABLE,
  availability,
  compileNode,
  MISS_EMPTY,
  MISS_FAIL,
  MISS_FAILED,
  MISS_NEG,
  MISS_PENDING,
  type Miss,
  type Node,
  PENDING,
  type Random,
  type RouteLeaf,
} from './picker.js'

/**
 * Why a pick found nothing; a bind error's own message otherwise, and for a name whose addr
 * failed, `<id> failed: <cause>` (see failureReason).
 */
export type NoRouteReason = 'no route' | 'bind failure' | 'no endpoints' | 'pending'

const REASONS: Record<Exclude<Miss, typeof MISS_FAILED>, NoRouteReason> = {
  [MISS_NEG]: 'no route',
  [MISS_FAIL]: 'bind failure',
  [MISS_EMPTY]: 'no endpoints',
  [MISS_PENDING]: 'pending',
}

/**
 * A failed addr's cause as it goes into a 502 (body and `l5d-err`): one line, at most this
 * many characters. The cause can come from namerd's addr stream, so it is anyone's text.
 */
export const MAX_CAUSE_CHARS = 1024

// Control characters (newlines above all) would break the reason's line in the body.
const CONTROLS = /[\p{Cc}\u2028\u2029]+/gu
// A lone surrogate would make the l5d-err encoding (encodeURIComponent) throw; in unicode mode
// this class matches only lone ones, since a pair is one code point outside it.
const LONE_SURROGATE = /[\ud800-\udfff]/gu

/** `<id> failed: <cause>`, the cause on one line, well-formed, cut at MAX_CAUSE_CHARS. */
export function failureReason(idText: string, cause: string): string {
  // Cut first, so a huge cause costs no more than a short one.
  const cut = cause.length > MAX_CAUSE_CHARS ? `${cause.slice(0, MAX_CAUSE_CHARS)}...` : cause
  const text = cut.replace(CONTROLS, ' ').replace(LONE_SURROGATE, '\ufffd').trim()
  return `${idText} failed: ${text === '' ? '(no cause given)' : text}`
}

/**
 * What a cached route costs in memory, estimated from its shape. Measured with node's heap
 * statistics on routes of the shapes a dtab can give (one leaf or an alt of two; unions of
 * 2,000 distinct leaves; a dozen copies of a 1,000-member union; a binary tree of 2,000 unions;
 * 1,000 residuals of 4 KB; a refused route), the estimate is 1.25 to 5 times what they hold. A
 * tree node is kept three times (the bound tree, the tree of RouteLeaf, a compiled closure, and
 * for a union its members and weights); a distinct leaf adds its RouteLeaf, its texts and, per
 * addr, a subscription.
 */
const ROUTE_BYTES = 2048
const NODE_BYTES = 800
const LEAF_BYTES = 1024

const NEVER: Node = () => MISS_NEG
const unreachable = (): never => {
  throw new Error('unreachable')
}

export class Route {
  readonly type = 'route'
  /** Every distinct bound name the route can reach (one per id and residual). */
  readonly leaves: readonly RouteLeaf[]
  /** The tree with leaves as RouteLeaf, before Neg names are taken out. */
  readonly #mapped: NameTree<RouteLeaf>
  #node: Node = NEVER
  #last: Miss = MISS_NEG
  /** The failed leaf of the last pick (with MISS_FAILED) and its cause then. */
  #failedId = ''
  #failedCause = ''
  /** Ids whose addr was Neg when the picker was compiled. */
  #negs = new Set<string>()
  readonly #unsubscribes: (() => void)[] = []
  readonly #waiters = new Set<() => void>()
  #closed = false
  /** Path.show(dst): the service's name in metrics and `l5d-dst-service`, shown once. */
  readonly dstText: string
  /** Nodes of the bound tree (1 for a route that failed to bind). */
  readonly nodes: number
  /** The memory the route holds, estimated (ROUTE_BYTES and the rest above). */
  readonly bytes: number

  private constructor(
    readonly dst: Path,
    /** The bound tree (Alts kept, see routes.ts); Neg for a route that failed to bind. */
    readonly tree: NameTree<Bound>,
    /** The bind error's message (depth limit, unknown namer): every pick fails with it. */
    readonly error: string | undefined,
    addrOf: (id: Path) => Var<Addr>,
    /** The bind reached the work limit (a BindWorkLimitError). */
    readonly workLimited = false,
    /**
     * The request's own overrides made the bind reach the work limit: the request is refused
     * with a 400 and this message, as a malformed override is.
     */
    readonly refusal: string | undefined = undefined,
  ) {
    this.dstText = Path.show(dst)
    const byKey = new Map<string, RouteLeaf>()
    const addrs = new Map<string, Var<Addr>>()
    let leafBytes = 0
    const mapped = NameTree.map(tree, (b): RouteLeaf => {
      const idText = Path.show(b.id)
      const key = `${idText} ${Path.show(b.residual)}`
      let leaf = byKey.get(key)
      if (leaf === undefined) {
        let addr = addrs.get(idText)
        if (addr === undefined) {
          addr = addrOf(b.id)
          addrs.set(idText, addr)
        }
        leaf = {
          id: b.id,
          idText,
          residual: b.residual,
          residualText: b.residual.length > 0 ? Path.show(b.residual) : undefined,
          addr,
        }
        byKey.set(key, leaf)
        leafBytes += LEAF_BYTES + idText.length + (leaf.residualText?.length ?? 0)
      }
      return leaf
    })
    this.leaves = [...byKey.values()]
    this.nodes = countNodes(tree)
    this.bytes =
      ROUTE_BYTES +
      NODE_BYTES * this.nodes +
      leafBytes +
      this.dstText.length +
      (error === undefined ? 0 : error.length)
    this.#mapped = mapped
    for (const [idText, addr] of addrs) {
      this.#unsubscribes.push(addr.subscribe((a) => this.#changed(idText, a)))
    }
    this.#compile()
  }

  static bound(dst: Path, tree: NameTree<Bound>, addrOf: (id: Path) => Var<Addr>): Route {
    return new Route(dst, tree, undefined, addrOf)
  }

  static failed(dst: Path, message: string, workLimited = false): Route {
    return new Route(dst, NameTree.Neg, message, unreachable, workLimited)
  }

  /** A route whose overrides cost the bind more than its work limit allows (a 400). */
  static refused(dst: Path, message: string): Route {
    return new Route(dst, NameTree.Neg, message, unreachable, true, message)
  }

  /**
   * One leaf for this request, or undefined; then reason() says why. Weighted unions draw with
   * `random`; an Alt falls back past members without endpoints, and waits for a pending one
   * (undefined with reason 'pending', see settled()) unless `pastPending`.
   */
  pick(random: Random = Math.random, pastPending = false): RouteLeaf | undefined {
    const r = this.#node(random, pastPending)
    if (typeof r === 'number') {
      this.#last = r
      return undefined
    }
    const s = availability(r)
    if (s === AVAILABLE) return r
    const a = r.addr.sample()
    if (s === PENDING) this.#last = MISS_PENDING
    else if (a.type === 'failed') {
      this.#last = MISS_FAILED
      this.#failedId = r.idText
      this.#failedCause = a.cause
    } else this.#last = MISS_EMPTY
    return undefined
  }

  /**
   * Why the last pick found nothing: `no route`, `bind failure`, `no endpoints` (bound to an
   * empty set), `pending`, a bind error's message, or `<id> failed: <cause>` when the name's
   * namer could not resolve it (its source unreachable or refusing), which no endpoint set is.
   */
  reason(): string {
    if (this.error !== undefined) return this.error
    if (this.#last === MISS_FAILED) return failureReason(this.#failedId, this.#failedCause)
    return REASONS[this.#last]
  }

  /** True while a name the route can reach has no answer yet. */
  get pending(): boolean {
    return this.leaves.some((l) => l.addr.sample().type === 'pending')
  }

  /**
   * Resolves when no reachable name is pending any more (the first addr watch answered), after
   * `timeoutMs`, or when `signal` aborts: the first request for a new concrete name waits
   * here, then picks again.
   */
  settled(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (!this.pending || this.#closed || signal?.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const stop = () => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        signal?.removeEventListener('abort', stop)
        resolve()
      }
      const done = () => {
        if (this.pending && !this.#closed) return
        stop()
      }
      const timer = setTimeout(stop, timeoutMs)
      this.#waiters.add(done)
      // The client left: stop waiting now rather than at the timeout.
      signal?.addEventListener('abort', stop, { once: true })
    })
  }

  /** Releases the addr subscriptions (the route left the cache). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const u of this.#unsubscribes.splice(0)) u()
    for (const w of [...this.#waiters]) w()
  }

  #changed(idText: string, addr: Addr): void {
    // Neg means the name does not exist: it leaves unions (their weights renormalise) as it
    // would at bind time; recompile only when that changes, which is rare.
    if ((addr.type === 'neg') !== this.#negs.has(idText)) this.#compile()
    for (const w of [...this.#waiters]) w()
  }

  #compile(): void {
    if (this.error !== undefined) return
    const negs = new Set<string>()
    for (const l of this.leaves) if (l.addr.sample().type === 'neg') negs.add(l.idText)
    this.#negs = negs
    const tree = negs.size === 0 ? this.#mapped : NameTree.simplify(withoutNegs(this.#mapped, negs))
    this.#node = compileNode(tree)
  }
}

function countNodes(t: NameTree<unknown>): number {
  let n = 1
  if (t.type === 'alt') for (const m of t.trees) n += countNodes(m)
  else if (t.type === 'union') for (const b of t.branches) n += countNodes(b.tree)
  return n
}

function withoutNegs(t: NameTree<RouteLeaf>, negs: ReadonlySet<string>): NameTree<RouteLeaf> {
  switch (t.type) {
    case 'leaf':
      return negs.has(t.value.idText) ? NameTree.Neg : t
    case 'alt':
      return { type: 'alt', trees: t.trees.map((m) => withoutNegs(m, negs)) }
    case 'union':
      return {
        type: 'union',
        branches: t.branches.map((b) => ({ weight: b.weight, tree: withoutNegs(b.tree, negs) })),
      }
    default:
      return t
  }
}
