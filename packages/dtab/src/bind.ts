import { BindWorkLimitError, type WorkLimits, WorkMeter } from './limits.js'
import { NameTree } from './name-tree.js'
import { type Bound, type Lookup, type Name, NamerMaxDepthError } from './namer.js'
import type { Path, NameTree as Tree, Weighted } from './types.js'

/** Finagle's `com.twitter.finagle.naming.namerMaxDepth` default. */
export const MAX_DEPTH = 100

export interface BindOptions extends WorkLimits {
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
 * no Alt nodes. Throws NamerMaxDepthError past `maxDepth` rewrites (99 bind, 100 fail), and
 * BindWorkLimitError past the work or nesting limit (limits.ts), which no union or alt absorbs.
 */
export function bind(
  lookup: Lookup,
  tree: Tree<Path>,
  maxDepth: number = MAX_DEPTH,
  options: BindOptions = {},
): Tree<Bound> {
  const keepAlts = options.keepAlts === true
  const meter = new WorkMeter(options, () => NameTree.show(tree))
  const { work } = meter
  // One instance, thrown again at each branch that reaches the depth: an Error captures the
  // stack when made, which in a union of self-references dwarfed the rest of the work.
  let depthError: NamerMaxDepthError | undefined
  // `level` is this call's recursion depth: rewrites plus union and alt levels.
  const go = (t: Tree<Name>, depth: number, level: number): Tree<Bound> => {
    if (depth > maxDepth) {
      depthError ??= new NamerMaxDepthError(maxDepth)
      throw depthError
    }
    meter.node(level)
    switch (t.type) {
      case 'leaf':
        return t.value.type === 'bound'
          ? (t as Tree<Bound>)
          : go(lookup(t.value.path, work), depth + 1, level + 1)
      case 'fail':
      case 'neg':
      case 'empty':
        return t
      case 'union': {
        if (t.branches.length === 0) return NameTree.Neg
        if (t.branches.length === 1) return go(t.branches[0]!.tree, depth, level + 1)
        const ok: Weighted<Bound>[] = []
        let firstError: unknown
        for (const b of t.branches) {
          try {
            ok.push({ weight: b.weight, tree: go(b.tree, depth, level + 1) })
          } catch (err) {
            if (err instanceof BindWorkLimitError) throw err
            firstError ??= err
          }
        }
        if (ok.length === 0) throw firstError
        return simplifiedUnion(ok)
      }
      case 'alt': {
        if (!keepAlts) {
          for (const m of t.trees) {
            const r = go(m, depth, level + 1)
            if (r.type !== 'neg') return r
          }
          return NameTree.Neg
        }
        const kept: Tree<Bound>[] = []
        for (const m of t.trees) {
          let r: Tree<Bound>
          try {
            r = go(m, depth, level + 1)
          } catch (err) {
            // A member after one that bound is a fallback Finagle would not have reached: its
            // error, the work limit included, ends the Alt.
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
    0,
  )
}

/**
 * NameTree.simplify of a union whose members are already simplified, as every result of bind
 * is: one level only (Fail and Neg members dropped, a lone survivor unwrapped), where
 * simplifying the whole union again at every level would cost its size times its depth.
 */
function simplifiedUnion(members: Weighted<Bound>[]): Tree<Bound> {
  const kept = members.filter((b) => b.tree.type !== 'fail' && b.tree.type !== 'neg')
  if (kept.length === 0) return NameTree.Neg
  return kept.length === 1 ? kept[0]!.tree : { type: 'union', branches: kept }
}
