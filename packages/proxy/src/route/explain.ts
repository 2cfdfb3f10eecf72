// The route debugger's answer (`/delegator.json`, namerd-wire.md §1.4): the delegation tree of
// a name through the base dtab plus extra dentries, with each bound leaf's current addr. A
// name whose addr is Neg (it does not exist) shows as a `neg` node, as namerd shows it.
import {
  type Bound,
  type DelegateTree,
  type Dtab,
  delegate,
  delegateTreeJson,
  type MountedNamer,
  Path,
} from '@switchyard/dtab'
import { Addr, type Var } from '@switchyard/namers'

export interface ExplainSource {
  readonly namers: readonly MountedNamer[]
  addr(id: Path): Var<Addr>
}

function negsOut(t: DelegateTree<Bound>, addrOf: (b: Bound) => Addr): DelegateTree<Bound> {
  switch (t.type) {
    case 'leaf':
      return addrOf(t.value).type === 'neg' ? { type: 'neg', path: t.path, dentry: t.dentry } : t
    case 'delegate':
      return { ...t, tree: negsOut(t.tree, addrOf) }
    case 'alt':
      return { ...t, trees: t.trees.map((m) => negsOut(m, addrOf)) }
    case 'union':
      return {
        ...t,
        branches: t.branches.map((b) => ({ weight: b.weight, tree: negsOut(b.tree, addrOf) })),
      }
    default:
      return t
  }
}

/** The bound leaves of a delegation tree. */
export function delegateLeaves(t: DelegateTree<Bound>, out: Bound[] = []): Bound[] {
  switch (t.type) {
    case 'leaf':
      out.push(t.value)
      break
    case 'delegate':
      delegateLeaves(t.tree, out)
      break
    case 'alt':
      for (const m of t.trees) delegateLeaves(m, out)
      break
    case 'union':
      for (const b of t.branches) delegateLeaves(b.tree, out)
      break
  }
  return out
}

/** The delegation tree of `dst` through `dtab`; throws DelegateMaxDepthError at the top level. */
export function explainTree(source: ExplainSource, dtab: Dtab, dst: Path): DelegateTree<Bound> {
  return delegate(dtab, dst, { namers: source.namers })
}

/** The JSON, with addrs as they are now (an unwatched namerd name shows pending). */
export function explainJson(
  source: ExplainSource,
  tree: DelegateTree<Bound>,
  addrOf: (b: Bound) => Addr = (b) => source.addr(b.id).sample(),
): string {
  return delegateTreeJson(negsOut(tree, addrOf), (b) => Addr.toJson(addrOf(b)))
}

/**
 * Like explainJson, after waiting (up to `timeoutMs`) for the leaves' addrs to leave pending,
 * as namerd's delegate does; the watches opened for it close afterwards.
 */
export async function explainSettled(
  source: ExplainSource,
  tree: DelegateTree<Bound>,
  timeoutMs: number,
): Promise<string> {
  const vars = new Map<string, Var<Addr>>()
  for (const b of delegateLeaves(tree)) {
    const key = Path.show(b.id)
    if (!vars.has(key)) vars.set(key, source.addr(b.id))
  }
  const unsubscribes: (() => void)[] = []
  try {
    await new Promise<void>((resolve) => {
      const check = () => {
        for (const v of vars.values()) if (v.sample().type === 'pending') return
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(resolve, timeoutMs)
      for (const v of vars.values()) unsubscribes.push(v.subscribe(check))
      check()
    })
    return explainJson(source, tree, (b) => vars.get(Path.show(b.id))!.sample())
  } finally {
    for (const u of unsubscribes) u()
  }
}
