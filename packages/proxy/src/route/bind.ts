// Binding for routes. The core's `bind` (Finagle's) resolves an Alt once, to its first member
// that is not Neg. A route is bound once and cached, but whether a bound name has endpoints
// changes, so here an Alt keeps every member that could serve (up to the first Fail): the
// picker falls back among them per request as their addrs come and go. Otherwise as the core:
// Unions bind every member and drop failing ones, the depth limit is the same.
import {
  type Bound,
  MAX_DEPTH,
  type Name,
  NamerMaxDepthError,
  NameTree,
  type Path,
} from '@switchyard/dtab'

type Tree<T> = NameTree<T>

export function bindRoute(
  lookup: (path: Path) => Tree<Name>,
  dst: Path,
  maxDepth: number = MAX_DEPTH,
): Tree<Bound> {
  const go = (t: Tree<Name>, depth: number): Tree<Bound> => {
    if (depth > maxDepth) throw new NamerMaxDepthError(maxDepth)
    switch (t.type) {
      case 'leaf':
        return t.value.type === 'bound'
          ? { type: 'leaf', value: t.value }
          : go(lookup(t.value.path), depth + 1)
      case 'fail':
      case 'neg':
      case 'empty':
        return t
      case 'union': {
        if (t.branches.length === 0) return NameTree.Neg
        if (t.branches.length === 1) return go(t.branches[0]!.tree, depth)
        const ok: { weight: number; tree: Tree<Bound> }[] = []
        let firstError: unknown
        for (const b of t.branches) {
          try {
            ok.push({ weight: b.weight, tree: go(b.tree, depth) })
          } catch (err) {
            firstError ??= err
          }
        }
        if (ok.length === 0) throw firstError
        return NameTree.simplify({ type: 'union', branches: ok })
      }
      case 'alt': {
        const kept: Tree<Bound>[] = []
        for (const m of t.trees) {
          let r: Tree<Bound>
          try {
            r = go(m, depth)
          } catch (err) {
            // The core would never reach this member once an earlier one bound: it ends the Alt.
            if (kept.length === 0) throw err
            break
          }
          if (r.type === 'neg') continue
          kept.push(r)
          if (r.type === 'fail') break
        }
        if (kept.length === 0) return NameTree.Neg
        return kept.length === 1 ? kept[0]! : { type: 'alt', trees: kept }
      }
    }
  }
  return go(NameTree.leaf<Name>({ type: 'path', path: dst }), 0)
}
