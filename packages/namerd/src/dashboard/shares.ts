// The split a dtab asks for: a bound tree turned into the share of requests each concrete
// destination (bound id) is expected to get, as a proxy's picker (dtab/pick.ts) draws them.
// A union gives member i the share w_i / Σw (each member alike when Σw is 0), multiplied down
// nested unions; an alt takes its first member that is not neg, draw by draw, so an alt whose
// first member is partly neg passes the rest on; neg, fail and empty reach no destination (their
// shares are the requests that fail). Pure, so property tests pin it against the picker.
import { AnyElem, type Bound, type Dtab, type NameTree, Path, type Prefix } from '@switchyard/dtab'
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

/** How far back from a concrete prefix `/svc/...` is looked for (dentries followed). */
export const SERVICE_DEPTH = 8
/** Candidate paths looked at in all (a bound on the work, whatever the dtab). */
export const SERVICE_STEPS = 5000

const SERVICE_ROOT = 'svc'

function leafPaths(tree: NameTree<Path>, out: Path[]): Path[] {
  switch (tree.type) {
    case 'leaf':
      out.push(tree.value)
      break
    case 'alt':
      for (const t of tree.trees) leafPaths(t, out)
      break
    case 'union':
      for (const b of tree.branches) leafPaths(b.tree, out)
      break
    default:
      break
  }
  return out
}

const concrete = (p: Prefix): p is Path => !p.some((e) => e === AnyElem)
const isService = (p: Path): boolean => p.length >= 2 && p[0] === SERVICE_ROOT

/**
 * The logical services a dtab names, found without the user typing one: a dentry prefix under
 * `/svc/` (`/svc/world => ...`), or one reached from `/svc` by following path dentries backwards.
 * The conventional Linkerd dtab routes `/svc` as a whole (`/svc => /host; /host/world => ...`):
 * `/host/world` is what `/svc => /host` rewrites `/svc/world` to, so `/svc/world` is a service.
 * Seeds are the dentries' prefixes without a wildcard, in dtab order, then `seeds` (e.g. the ids
 * the proxies have clients for: `/#/io.l5d.fs/world` back through `/svc => /#/io.l5d.fs` is
 * `/svc/world`). Each path at most once, at most `max`; bounded by SERVICE_DEPTH rewrites back
 * and SERVICE_STEPS candidates whatever the dtab.
 */
export function servicePaths(dtab: Dtab, max: number, seeds: readonly Path[] = []): string[] {
  const out = new Set<string>()
  // dst → the prefixes rewritten to it, so a step back costs the path's length, not the dtab's.
  const back = new Map<string, Path[]>()
  for (const d of dtab) {
    if (!concrete(d.prefix)) continue
    for (const dst of leafPaths(d.dst, [])) {
      if (dst.length === 0) continue
      const key = Path.show(dst)
      const list = back.get(key)
      if (list === undefined) back.set(key, [d.prefix])
      else list.push(d.prefix)
    }
  }
  const seen = new Set<string>()
  const queue: { path: Path; depth: number }[] = []
  let steps = 0
  const visit = (path: Path, depth: number) => {
    steps++
    const key = Path.show(path)
    if (seen.has(key)) return
    seen.add(key)
    if (isService(path)) out.add(key)
    else if (depth < SERVICE_DEPTH) queue.push({ path, depth })
  }
  for (const d of dtab) if (concrete(d.prefix)) visit(d.prefix, 0)
  for (const s of seeds) visit(s, 0)
  steps = 0 // the bound is on the steps back; the seeds are the dtab's size
  for (let i = 0; i < queue.length && out.size < max && steps < SERVICE_STEPS; i++) {
    const { path, depth } = queue[i]!
    // `prefix => dst` rewrites prefix/rest to dst/rest: path = dst/rest came from prefix/rest.
    for (let n = 1; n <= path.length; n++) {
      for (const prefix of back.get(Path.show(Path.take(path, n))) ?? [])
        visit(Path.concat(prefix, Path.drop(path, n)), depth + 1)
    }
  }
  return [...out].slice(0, max)
}
