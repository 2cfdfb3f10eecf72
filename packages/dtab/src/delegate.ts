// Delegation trees: bind, but recording every step (the path looked up, the dentry that
// matched, what it became). A port of Linkerd's ConfiguredNamersInterpreter.delegate and
// DelegateTree.simplify; the data behind namerd's `delegate` API and the route debugger.
import { Dentry, Prefix } from './dentry.js'
import { DtabError } from './errors.js'
import { BindWorkLimitError, NODE_STEPS, type WorkLimits, WorkMeter } from './limits.js'
import { NameTree } from './name-tree.js'
import { type Bound, type MountedNamer, type Name, namersLookup } from './namer.js'
import { Path } from './path.js'
import type { Dentry as DentryT, Dtab, Path as PathT, NameTree as Tree } from './types.js'

interface Node {
  /** The path this node stands for (Path.empty where Linkerd uses it for an explicit `~`). */
  readonly path: PathT
  /** The dentry that produced it; `Dentry.nop` at the root. */
  readonly dentry: DentryT
}

export interface DelegateWeighted<T> {
  readonly weight: number
  readonly tree: DelegateTree<T>
}

export type DelegateTree<T> =
  | (Node & { readonly type: 'exception'; readonly error: Error })
  | (Node & { readonly type: 'empty' })
  | (Node & { readonly type: 'fail' })
  | (Node & { readonly type: 'neg' })
  | (Node & { readonly type: 'delegate'; readonly tree: DelegateTree<T> })
  | (Node & { readonly type: 'leaf'; readonly value: T })
  | (Node & { readonly type: 'alt'; readonly trees: readonly DelegateTree<T>[] })
  | (Node & { readonly type: 'union'; readonly branches: readonly DelegateWeighted<T>[] })

export class DelegateMaxDepthError extends DtabError {
  readonly code = 'delegate_max_depth'
  override readonly name = 'DelegateMaxDepthError'
  constructor() {
    // Linkerd's text, which differs from Finagle's bind message.
    super('Max recursion level reached.')
  }
}

/**
 * Steps spent building nodes by the lookup under way (see `built` in dtab.ts): each starts it
 * at 0 and reads it at its end.
 */
let built = 0

/**
 * A name tree as delegation nodes for `path` and `dentry`, each leaf's value through `leaf`;
 * NODE_STEPS per node counted in `built`.
 */
function fromNameTree<T, U>(
  path: PathT,
  dentry: DentryT,
  t: Tree<T>,
  leaf: (v: T) => U,
): DelegateTree<U> {
  built += NODE_STEPS
  switch (t.type) {
    case 'empty':
    case 'fail':
      return { type: t.type, path, dentry }
    case 'neg':
      // An explicit `~` has no path of its own; its JSON shows "~".
      return { type: 'neg', path: Path.empty, dentry }
    case 'leaf':
      return { type: 'leaf', path, dentry, value: leaf(t.value) }
    case 'alt':
      return {
        type: 'alt',
        path,
        dentry,
        trees: t.trees.map((m) => fromNameTree(path, dentry, m, leaf)),
      }
    case 'union':
      return {
        type: 'union',
        path,
        dentry,
        branches: t.branches.map((b) => ({
          weight: b.weight,
          tree: fromNameTree(path, dentry, b.tree, leaf),
        })),
      }
  }
}

const same = <T>(v: T): T => v

function withDentry<T>(t: DelegateTree<T>, dentry: DentryT): DelegateTree<T> {
  return { ...t, dentry }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

export interface DelegateOptions extends WorkLimits {
  /** Namers mounted under `/#/...`, tried in order before the global `/$/` namer. */
  namers?: readonly MountedNamer[]
  maxDepth?: number
}

/**
 * Delegates `path` through `dtab` and the namers, recording each step. Unlike bind, every
 * member of an Alt or Union is followed, so the tree shows all branches; a branch that fails
 * becomes an `exception` node. Throws DelegateMaxDepthError when the limit is hit outside
 * any Alt or Union. The work limit (limits.ts) ends the whole delegation: the answer is then
 * one `exception` node for `path` carrying the BindWorkLimitError, whatever was built before.
 */
export function delegate(
  dtab: Dtab,
  path: PathT,
  options: DelegateOptions = {},
): DelegateTree<Bound> {
  const namers = options.namers ?? []
  const maxDepth = options.maxDepth ?? 100
  const meter = new WorkMeter(options, () => Path.show(path))
  const { work } = meter
  // One instance for every branch that reaches the depth: making an Error captures the stack,
  // which in a union of self-references cost more than the rest of the work.
  let depthError: DelegateMaxDepthError | undefined

  const lookup = (dentry: DentryT, q: PathT): DelegateTree<Name> => {
    const matches: DelegateTree<Name>[] = []
    // Steps as the core's lookup counts them (lookupWith in dtab.ts).
    let steps = 0
    built = 0
    for (let i = dtab.length - 1; i >= 0; i--) {
      const d = dtab[i]!
      steps += d.prefix.length <= q.length ? 1 + d.prefix.length : 1
      if (!Prefix.matches(d.prefix, q)) continue
      const rest = Path.drop(q, d.prefix.length)
      steps += rest.length
      matches.push(
        fromNameTree(q, d, d.dst, (p): Name => {
          built += p.length + rest.length
          return { type: 'path', path: Path.concat(p, rest) }
        }),
      )
    }
    work.spent += steps + built
    if (matches.length === 1) return { type: 'delegate', path: q, dentry, tree: matches[0]! }
    if (matches.length > 1) return { type: 'alt', path: q, dentry, trees: matches }
    try {
      const t = namersLookup(namers, q)
      return t.type === 'neg' ? { type: 'neg', path: q, dentry } : fromNameTree(q, dentry, t, same)
    } catch (err) {
      return { type: 'exception', path: q, dentry, error: toError(err) }
    }
  }

  const guard = (
    t: DelegateTree<Name>,
    depth: number,
    level: number,
    node: Node,
  ): DelegateTree<Bound> => {
    try {
      return bindTree(t, depth, level)
    } catch (err) {
      if (err instanceof BindWorkLimitError) throw err
      return { type: 'exception', path: node.path, dentry: node.dentry, error: toError(err) }
    }
  }

  // `level` is this call's recursion depth, bounded so the tree it builds is too.
  const bindTree = (t: DelegateTree<Name>, depth: number, level: number): DelegateTree<Bound> => {
    if (depth > maxDepth) {
      depthError ??= new DelegateMaxDepthError()
      throw depthError
    }
    meter.node(level)
    switch (t.type) {
      case 'exception':
      case 'empty':
      case 'fail':
      case 'neg':
        return t
      case 'leaf':
        if (t.value.type === 'bound') return { ...t, value: t.value }
        return bindTree(lookup(t.dentry, t.value.path), depth + 1, level + 1)
      case 'delegate':
        return { ...t, tree: bindTree(t.tree, depth, level + 1) }
      case 'alt':
        if (t.trees.length === 0) return { type: 'neg', path: t.path, dentry: t.dentry }
        if (t.trees.length === 1)
          return {
            type: 'delegate',
            path: t.path,
            dentry: t.dentry,
            tree: bindTree(t.trees[0]!, depth, level + 1),
          }
        return { ...t, trees: t.trees.map((m) => guard(m, depth, level + 1, t)) }
      case 'union':
        if (t.branches.length === 0) return { type: 'neg', path: t.path, dentry: t.dentry }
        if (t.branches.length === 1) {
          return {
            type: 'delegate',
            path: t.path,
            dentry: t.dentry,
            tree: bindTree(t.branches[0]!.tree, depth, level + 1),
          }
        }
        return {
          ...t,
          branches: t.branches.map((b) => ({
            weight: b.weight,
            tree: guard(b.tree, depth, level + 1, t),
          })),
        }
    }
  }

  const root: DelegateTree<Name> = {
    type: 'leaf',
    path: Path.empty,
    dentry: Dentry.nop,
    value: { type: 'path', path },
  }
  try {
    return simplifyDelegateTree(bindTree(root, 0, 0))
  } catch (err) {
    if (!(err instanceof BindWorkLimitError)) throw err
    return { type: 'exception', path, dentry: Dentry.nop, error: err }
  }
}

/**
 * Linkerd's DelegateTree.simplify: a Delegate collapses into its child when the child has the
 * same path (and is not Neg, Fail or Empty), taking the Delegate's dentry; an Alt splices in
 * member Alts of the same path; single-member Alts and Unions become Delegates.
 */
export function simplifyDelegateTree<T>(t: DelegateTree<T>): DelegateTree<T> {
  switch (t.type) {
    case 'delegate': {
      const child = simplifyDelegateTree(t.tree)
      const collapse =
        child.type !== 'neg' &&
        child.type !== 'fail' &&
        child.type !== 'empty' &&
        Path.equals(child.path, t.path)
      return collapse ? withDentry(child, t.dentry) : { ...t, tree: child }
    }
    case 'alt': {
      if (t.trees.length === 0) return { type: 'neg', path: t.path, dentry: t.dentry }
      if (t.trees.length === 1)
        return simplifyDelegateTree({
          type: 'delegate',
          path: t.path,
          dentry: t.dentry,
          tree: t.trees[0]!,
        })
      const trees: DelegateTree<T>[] = []
      for (const m of t.trees) {
        const s = simplifyDelegateTree(m)
        // A loop, not push(...s.trees): a spread of a large array overflows the stack.
        if (s.type === 'alt' && Path.equals(s.path, t.path)) for (const x of s.trees) trees.push(x)
        else trees.push(s)
      }
      return { ...t, trees }
    }
    case 'union': {
      if (t.branches.length === 0) return { type: 'neg', path: t.path, dentry: t.dentry }
      if (t.branches.length === 1) {
        return simplifyDelegateTree({
          type: 'delegate',
          path: t.path,
          dentry: t.dentry,
          tree: t.branches[0]!.tree,
        })
      }
      return {
        ...t,
        branches: t.branches.map((b) => ({ weight: b.weight, tree: simplifyDelegateTree(b.tree) })),
      }
    }
    default:
      return t
  }
}

/** The plain name tree a delegation tree stands for; exception nodes throw their error. */
export function delegateToNameTree<T>(t: DelegateTree<T>): Tree<T> {
  switch (t.type) {
    case 'exception':
      throw t.error
    case 'empty':
      return NameTree.Empty
    case 'fail':
      return NameTree.Fail
    case 'neg':
      return NameTree.Neg
    case 'delegate':
      return delegateToNameTree(t.tree)
    case 'leaf':
      return NameTree.leaf(t.value)
    case 'alt':
      // Built directly, not with NameTree.alt(...): spreading a large array overflows the stack.
      return { type: 'alt', trees: t.trees.map(delegateToNameTree) }
    case 'union':
      return {
        type: 'union',
        branches: t.branches.map((b) => NameTree.weighted(b.weight, delegateToNameTree(b.tree))),
      }
  }
}
