import { NameTree } from './name-tree.js'
import { type Bound, type Name, NamerMaxDepthError } from './namer.js'
import type { Path, NameTree as Tree, Weighted } from './types.js'

/** Finagle's `com.twitter.finagle.naming.namerMaxDepth` default. */
export const MAX_DEPTH = 100

export interface BindOptions {
  /**
   * Keep every member of an Alt that binds (up to and including the first Fail), instead of
   * only the first that is not Neg. For callers that bind once and cache, such as a proxy's
   * routes: whether a bound name has endpoints changes later, so the choice among the Alt's
   * members is left to the moment of use. An error in a member after one bound ends the Alt,
   * where Finagle would never have reached it.
   */
  readonly keepAlts?: boolean
}

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
  options: BindOptions = {},
): Tree<Bound> {
  const keepAlts = options.keepAlts === true
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
        if (!keepAlts) {
          for (const m of t.trees) {
            const r = go(m, depth)
            if (r.type !== 'neg') return r
          }
          return NameTree.Neg
        }
        const kept: Tree<Bound>[] = []
        for (const m of t.trees) {
          let r: Tree<Bound>
          try {
            r = go(m, depth)
          } catch (err) {
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
  return go(
    NameTree.map(tree, (path): Name => ({ type: 'path', path })),
    0,
  )
}
