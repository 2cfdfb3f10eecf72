import { NameTree } from './name-tree.js'
import { type Bound, type Name, NamerMaxDepthError } from './namer.js'
import type { Path, NameTree as Tree, Weighted } from './types.js'

/** Finagle's `com.twitter.finagle.naming.namerMaxDepth` default. */
export const MAX_DEPTH = 100

/**
 * Finagle's `Namer.bind`: rewrites every leaf through `lookup` until it is bound. An Alt binds
 * lazily left to right (Neg moves on, Fail stops, an error fails the whole bind); a Union
 * binds every member, drops those that fail with an error, and is simplified; the result has
 * no Alt nodes. Throws NamerMaxDepthError past `maxDepth` rewrites (99 bind, 100 fail).
 */
export function bind(
  lookup: (path: Path) => Tree<Name>,
  tree: Tree<Path>,
  maxDepth: number = MAX_DEPTH,
): Tree<Bound> {
  const go = (t: Tree<Name>, depth: number): Tree<Bound> => {
    if (depth > maxDepth) throw new NamerMaxDepthError(maxDepth)
    switch (t.type) {
      case 'leaf':
        return t.value.type === 'bound' ? (t as Tree<Bound>) : go(lookup(t.value.path), depth + 1)
      case 'fail':
      case 'neg':
      case 'empty':
        return t
      case 'union': {
        if (t.branches.length === 0) return NameTree.Neg
        if (t.branches.length === 1) return go(t.branches[0]!.tree, depth)
        const ok: Weighted<Bound>[] = []
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
        for (const m of t.trees) {
          const r = go(m, depth)
          if (r.type !== 'neg') return r
        }
        return NameTree.Neg
      }
    }
  }
  return go(
    NameTree.map(tree, (path): Name => ({ type: 'path', path })),
    0,
  )
}
