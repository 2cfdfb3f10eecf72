import { NameTree } from './name-tree.js'
import { NEG, parseDentry, parsePrefix } from './parser.js'
import { showElem } from './path.js'
import {
  AnyElem,
  type Dentry as DentryT,
  type Path as PathT,
  type Prefix as PrefixT,
  type NameTree as Tree,
} from './types.js'

export type Prefix = PrefixT
export const Prefix = {
  empty: Object.freeze([]) as PrefixT,
  /** Parses `/a/*\/b`; `*` must be a whole element. Throws DtabParseError. */
  read: parsePrefix,
  show(prefix: PrefixT): string {
    if (prefix.length === 0) return '/'
    let out = ''
    for (const e of prefix) out += e === AnyElem ? '/*' : `/${showElem(e)}`
    return out
  },
  /** Each label equals the path's element byte-wise; `*` matches any one element. */
  matches(prefix: PrefixT, path: PathT): boolean {
    if (prefix.length > path.length) return false
    for (let i = 0; i < prefix.length; i++) {
      const e = prefix[i]
      if (e !== AnyElem && e !== path[i]) return false
    }
    return true
  },
  equals(a: PrefixT, b: PrefixT): boolean {
    return a.length === b.length && a.every((e, i) => e === b[i])
  },
  /** A prefix with no wildcard is a path. */
  fromPath(path: PathT): PrefixT {
    return path
  },
}

export type Dentry = DentryT
export const Dentry = {
  /** Parses one `prefix => tree` (no trailing `;`). Throws DtabParseError. */
  read: parseDentry,
  show(d: DentryT): string {
    return `${Prefix.show(d.prefix)}=>${NameTree.show(d.dst)}`
  },
  of(prefix: PrefixT | string, dst: Tree<PathT> | string): DentryT {
    return {
      prefix: typeof prefix === 'string' ? Prefix.read(prefix) : prefix,
      dst: typeof dst === 'string' ? NameTree.read(dst) : dst,
    }
  },
  /**
   * Finagle's `Dentry.nop`: prefix one element holding the byte `/`, dst `~`. Delegation
   * trees start from it and their JSON hides it.
   */
  nop: Object.freeze({ prefix: ['/'], dst: NEG }) as DentryT,
  equals(a: DentryT, b: DentryT): boolean {
    return Prefix.equals(a.prefix, b.prefix) && NameTree.equals(a.dst, b.dst)
  },
  /** Finagle's Equiv[Dentry]: same prefix, and dsts equal once simplified. */
  equiv(a: DentryT, b: DentryT): boolean {
    return (
      Prefix.equals(a.prefix, b.prefix) &&
      NameTree.equals(NameTree.simplify(a.dst), NameTree.simplify(b.dst))
    )
  },
}
