// The split a dtab asks for: a bound tree turned into the share of requests each concrete
// destination (bound id) is expected to get, as a proxy's picker (dtab/pick.ts) draws them.
// A union gives member i the share w_i / Σw (each member alike when Σw is 0), multiplied down
// nested unions; an alt takes its first member that is not neg, draw by draw, so an alt whose
// first member is partly neg passes the rest on; neg, fail and empty reach no destination (their
// shares are the requests that fail). Pure, so property tests pin it against the picker.
import { AnyElem, type Bound, type Dtab, type NameTree, Path } from '@switchyard/dtab'
import { stripTransformerPrefix } from '../naming.js'

/** Where the requests of a bound tree go: per bound id, and the parts that fail or find nothing. */
export interface Shares {
  /** Bound id (`/#/io.l5d.fs/world-v2`, transformer prefix stripped) → share 0..1. */
  readonly ids: Map<string, number>
  /** The share that reaches no destination: neg, fail or empty leaves. */
  readonly none: number
}

/** The id as a proxy labels its client: a transformer prefix (`/%/io.l5d.port/4141/...`) stripped. */
export const boundKey = (b: Bound): string => Path.show(stripTransformerPrefix(b.id))

interface Dist {
  ids: Map<string, number>
  neg: number
  other: number
}

/** Adds a share; one that underflows to 0 (weights near the smallest double) names nothing. */
function addShare(ids: Map<string, number>, id: string, p: number): void {
  if (p > 0) ids.set(id, (ids.get(id) ?? 0) + p)
}

function dist(tree: NameTree<Bound>): Dist {
  switch (tree.type) {
    case 'leaf':
      return { ids: new Map([[boundKey(tree.value), 1]]), neg: 0, other: 0 }
    case 'neg':
      return { ids: new Map(), neg: 1, other: 0 }
    case 'fail':
    case 'empty':
      return { ids: new Map(), neg: 0, other: 1 }
    case 'alt': {
      const out: Dist = { ids: new Map(), neg: 0, other: 0 }
      // The chance a draw is still looking when it reaches a member: every earlier one drew neg.
      let reach = 1
      for (const t of tree.trees) {
        if (reach === 0) break
        const d = dist(t)
        for (const [id, p] of d.ids) addShare(out.ids, id, reach * p)
        out.other += reach * d.other
        reach *= d.neg
      }
      out.neg += reach
      return out
    }
    case 'union': {
      const out: Dist = { ids: new Map(), neg: 0, other: 0 }
      if (tree.branches.length === 0) return { ...out, neg: 1 }
      // As weightedIndex: relative to the largest weight when the sum overflows.
      let total = 0
      let max = 0
      for (const b of tree.branches) {
        total += b.weight
        max = Math.max(max, b.weight)
      }
      const scale = Number.isFinite(total) ? 1 : max
      let sum = 0
      for (const b of tree.branches) sum += total === 0 ? 1 : b.weight / scale
      for (const b of tree.branches) {
        const w = (total === 0 ? 1 : b.weight / scale) / sum
        if (w === 0) continue
        const d = dist(b.tree)
        for (const [id, p] of d.ids) addShare(out.ids, id, w * p)
        out.neg += w * d.neg
        out.other += w * d.other
      }
      return out
    }
  }
}

/** Each destination's expected share of the requests drawn from `tree`. */
export function expectedShares(tree: NameTree<Bound>): Shares {
  const d = dist(tree)
  return { ids: d.ids, none: d.neg + d.other }
}

/**
 * The logical services a dtab names: its dentries' prefixes under `/svc/` with at least one
 * element after it and no wildcard, in dtab order, each once, at most `max`.
 */
export function servicePaths(dtab: Dtab, max: number): string[] {
  const out = new Set<string>()
  for (const d of dtab) {
    if (out.size >= max) break
    const p = d.prefix
    if (p.length < 2 || p[0] !== 'svc' || p.some((e) => e === AnyElem)) continue
    out.add(Path.show(p as Path))
  }
  return [...out]
}
