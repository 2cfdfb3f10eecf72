// Which destinations a dtab change introduces, and which of them can be checked before writing.
// Pure: the delegation itself is resolution.ts's.
//
// A dentry routes either a name (`/host/world => /srv/world-v2`: its destination must resolve
// by itself) or a prefix that requests complete at request time (`/svc => /host`,
// `/srv => /#/io.l5d.fs`: `/svc/world` becomes `/host/world`, but `/host` alone names nothing
// and never resolves). Only the first kind can be checked. A dentry is taken as a prefix when
//   - its prefix has one element (`/svc`, `/srv`, `/host`: the roots Linkerd's identifiers
//     and dtabs hang names under), or has a `*`, or
//   - the dtab routes longer names under it: another dentry's prefix, or a path in another
//     dentry's destination, starts with it (`/srv` in `/host/world => /srv/world-v1`).
import { Dtab, NameTree, type Path, Path as PathOps } from '@switchyard/dtab'
import { diffDtabs } from './diff.js'
import type { DentryJson } from './schemas.js'

export interface DentryChange {
  readonly dentry: DentryJson
  /** True when the dentry routes a prefix completed at request time: not checked. */
  readonly prefix: boolean
}

/**
 * The dentries of `after` that `before` does not have as they are (added, or rewritten), in
 * order; all of them when `before` is null (a create). Moving a dentry is not a change here.
 */
export function changedDentries(
  before: readonly DentryJson[] | null,
  after: readonly DentryJson[],
): DentryChange[] {
  const added =
    before === null
      ? [...after]
      : diffDtabs(before, after)
          .filter((op) => op.type === 'added')
          .map((op) => op.dentry)
          .filter((d) => !before.some((b) => b.prefix === d.prefix && b.dst === d.dst))
  const parsed = Dtab.fromJson(after)
  return added.map((dentry) => ({ dentry, prefix: isPrefixDentry(dentry, parsed) }))
}

function isPrefixDentry(dentry: DentryJson, dtab: Dtab): boolean {
  const [own] = Dtab.fromJson([dentry])
  if (own === undefined) return false
  if (own.prefix.length <= 1 || own.prefix.some((e) => typeof e !== 'string')) return true
  const prefix = own.prefix as Path
  for (const other of dtab) {
    if (other.prefix.length > prefix.length && startsWith(other.prefix, prefix)) return true
    for (const leaf of leavesOf(other.dst)) {
      if (leaf.length > prefix.length && startsWith(leaf, prefix)) return true
    }
  }
  return false
}

function startsWith(path: readonly (string | symbol)[], prefix: Path): boolean {
  return prefix.every((e, i) => path[i] === e)
}

/** Every path in a destination, in order, once each: `1 * /a & 9 * /b | /c` has three. */
export function leavesOf(tree: NameTree<Path>): Path[] {
  const out: Path[] = []
  const seen = new Set<string>()
  const walk = (t: NameTree<Path>): void => {
    switch (t.type) {
      case 'leaf': {
        const key = PathOps.show(t.value)
        if (!seen.has(key)) {
          seen.add(key)
          out.push(t.value)
        }
        return
      }
      case 'alt':
        for (const m of t.trees) walk(m)
        return
      case 'union':
        for (const b of t.branches) walk(b.tree)
        return
      default:
        return
    }
  }
  walk(tree)
  return out
}

// Reads a destination as printed in a dentry (`10.00*/a & 90.00*/b`).
export function readDst(dst: string): NameTree<Path> {
  return NameTree.read(dst)
}
