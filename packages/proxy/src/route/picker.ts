// A bound tree compiled into closures, so a pick is a few comparisons and one random draw per
// union, with no allocation: leaves are RouteLeaf objects made once, misses are small numbers.
import { type Bound, type NameTree, weightedIndex } from '@switchyard/dtab'
import type { Addr, Var } from '@switchyard/namers'

export interface RouteLeaf {
  readonly id: Path
  /** Path.show(id), the client's name in metrics and `l5d-dst-client`. */
  readonly idText: string
  readonly residual: Path
  /** Path.show(residual) for `l5d-dst-residual`, or undefined when it is empty. */
  readonly residualText: string | undefined
  readonly addr: Var<Addr>
}
type Path = Bound['id']

export const MISS_NEG = 0
export const MISS_FAIL = 1
/** A member with no endpoints: Empty, or an addr bound to nothing. */
export const MISS_EMPTY = 2
export const MISS_PENDING = 3
/**
 * A member whose addr failed (its namer cannot reach its source: an API server away, a 403).
 * A Node never returns it: it returns the failed leaf itself, so the route can read the cause;
 * the route records the pick as this.
 */
export const MISS_FAILED = 4
export type Miss =
  | typeof MISS_NEG
  | typeof MISS_FAIL
  | typeof MISS_EMPTY
  | typeof MISS_PENDING
  | typeof MISS_FAILED
export type Outcome = RouteLeaf | Miss

export type Random = () => number
/**
 * `pastPending`: an Alt skips a member whose addr is still pending, as if it had no endpoints.
 * Normally false: a pending name is one whose first answer is on its way, and Finagle's Alt
 * waits for it rather than send the request elsewhere; the router sets it only once it has
 * waited as long as it will.
 */
export type Node = (random: Random, pastPending: boolean) => Outcome

export const AVAILABLE = 0
export const PENDING = 1
export const UNAVAILABLE = 2

/** O(1): the addr var is subscribed, so sample() reads a field. */
export function availability(leaf: RouteLeaf): 0 | 1 | 2 {
  const a = leaf.addr.sample()
  if (a.type === 'bound') return a.addrs.length > 0 ? AVAILABLE : UNAVAILABLE
  return a.type === 'pending' ? PENDING : UNAVAILABLE
}

/** The leaf's addr failed (rather than being bound to nothing): a miss with a cause. */
export function failed(leaf: RouteLeaf): boolean {
  return leaf.addr.sample().type === 'failed'
}

/**
 * Compiles `tree` (leaves already mapped to RouteLeaf). A union picks by weight with the core's
 * weightedIndex (uniformly when all weights are 0); an Alt takes its first member with
 * endpoints, stops at a pending one (unless `pastPending`), skips those without endpoints, and
 * stops at a Fail. When no member has endpoints, an Alt answers with its first failed leaf, if
 * any, so the route can say why (a namer's failure, not "no endpoints").
 */
export function compileNode(tree: NameTree<RouteLeaf>): Node {
  switch (tree.type) {
    case 'leaf': {
      const leaf = tree.value
      return () => leaf
    }
    case 'neg':
      return () => MISS_NEG
    case 'fail':
      return () => MISS_FAIL
    case 'empty':
      return () => MISS_EMPTY
    case 'alt': {
      const members = tree.trees.map(compileNode)
      return (random, pastPending) => {
        let pending: RouteLeaf | undefined
        let failure: RouteLeaf | undefined
        let miss: Miss = MISS_NEG
        for (const m of members) {
          const r = m(random, pastPending)
          if (typeof r === 'number') {
            if (r === MISS_FAIL) return pending ?? MISS_FAIL
            if (r === MISS_PENDING) {
              if (!pastPending) return MISS_PENDING
              miss = MISS_PENDING
            } else if (r === MISS_EMPTY && miss === MISS_NEG) miss = MISS_EMPTY
            continue
          }
          const s = availability(r)
          if (s === AVAILABLE) return r
          if (s === PENDING) {
            if (!pastPending) return r
            pending ??= r
          } else if (failed(r)) failure ??= r
          else if (miss === MISS_NEG) miss = MISS_EMPTY
        }
        // Still waiting on a name outranks a failure, as before: the router times out on it.
        if (pending !== undefined || miss === MISS_PENDING) return pending ?? miss
        return failure ?? miss
      }
    }
    case 'union': {
      const members = tree.branches.map((b) => compileNode(b.tree))
      if (members.length === 0) return () => MISS_NEG
      // The core's sampler, as namerd's resolve and the core's picker draw.
      const choose = weightedIndex(tree.branches.map((b) => b.weight))
      return (random, pastPending) => members[choose(random())]!(random, pastPending)
    }
  }
}
