import { digitValue } from './chars.js'
import { lookupWith } from './dtab.js'
import { DtabError } from './errors.js'
import type { Work } from './limits.js'
import { NameTree } from './name-tree.js'
import { elemText, Path } from './path.js'
import type { Dtab as DtabT, Path as PathT, NameTree as Tree } from './types.js'

/**
 * A name bound to a concrete destination. `id` names the endpoint set (`/$/inet/host/port`,
 * `/#/io.l5d.fs/world`); `residual` is what remained of the path after the namer's part.
 * Endpoint addresses are not in the core: namers outside it resolve `id` to addresses.
 */
export interface Bound {
  readonly type: 'bound'
  readonly id: PathT
  readonly residual: PathT
}

/** What a lookup yields: a path to look up again, or a bound name. */
export type Name = { readonly type: 'path'; readonly path: PathT } | Bound

/** Resolves paths under its prefix. Returns Neg for names it does not know; throws on failure. */
export interface Namer {
  lookup(path: PathT): Tree<Name>
}

/** A namer mounted at `/#/<prefix>`: it receives the path after that prefix. */
export interface MountedNamer {
  readonly prefix: PathT
  readonly namer: Namer
}

export class UnknownNamerError extends DtabError {
  readonly code = 'unknown_namer'
  override readonly name = 'UnknownNamerError'
  constructor(
    readonly kind: string,
    readonly path: PathT,
  ) {
    super(`Unknown namer: ${kind} for path: ${Path.show(path)}`)
  }
}

export class NamerMaxDepthError extends DtabError {
  readonly code = 'namer_max_depth'
  override readonly name = 'NamerMaxDepthError'
  constructor(readonly maxDepth: number) {
    super(`Max recursion level: ${maxDepth} reached in Namer lookup`)
  }
}

/** A namer's own failure (a bad endpoints file, say); its message reaches the user. */
export class NamerFailedError extends DtabError {
  readonly code = 'namer_failed'
  override readonly name = 'NamerFailedError'
}

export const bound = (id: PathT, residual: PathT = Path.empty): Bound => ({
  type: 'bound',
  id,
  residual,
})
export const pathName = (path: PathT): Name => ({ type: 'path', path })

const DOLLAR = '$'

/**
 * Finagle's `IntegerString` on a path element: the element decoded as UTF-8, then Java's
 * `Integer.parseInt`: an optional sign, then decimal digits of any script (`Character.digit`, so
 * `١٢` is 12 and fullwidth `８０` is 80), within the 32-bit range.
 */
function parsePort(elem: string): number | undefined {
  let text = elem
  for (let i = 0; i < elem.length; i++) {
    if (elem.charCodeAt(i) >= 0x80) {
      text = elemText(elem)
      break
    }
  }
  const signed = text.startsWith('+') || text.startsWith('-')
  if (text.length === (signed ? 1 : 0)) return undefined
  let n = 0
  for (let i = signed ? 1 : 0; i < text.length; i++) {
    const d = digitValue(text.charCodeAt(i))
    if (d < 0) return undefined
    n = n * 10 + d
    if (n > 2147483648) return undefined
  }
  const value = text.startsWith('-') ? 0 - n : n
  return value <= 2147483647 ? value : undefined
}

/** Host and port of a `/$/inet/<host>/<port>` or `/$/inet/<port>` id. */
export function inetAddress(id: PathT): { host: string; port: number } | undefined {
  if (id[0] !== DOLLAR || (id[1] !== 'inet' && id[1] !== 'fixedinet')) return undefined
  if (id.length === 4) {
    const port = parsePort(id[3]!)
    return port === undefined ? undefined : { host: elemText(id[2]!), port }
  }
  const port = id.length === 3 ? parsePort(id[2]!) : undefined
  return port === undefined ? undefined : { host: '', port }
}

/**
 * Finagle's `Namer.global`, the `/$/` system names: `/$/inet/<host>/<port>` (and the
 * port-only form) bind; `/$/fail` is Fail and `/$/nil` is Empty; any other `/$/<kind>` is an
 * unknown namer (an error, not Neg); everything else is Neg.
 */
export const globalNamer: Namer = {
  lookup(path) {
    if (path[0] !== DOLLAR || path.length < 2) return NameTree.Neg
    const kind = path[1]!
    if (kind === 'inet' || kind === 'fixedinet') {
      // The host-and-port form is tried first, so /$/inet/1234/5678 means host 1234.
      if (path.length >= 4 && parsePort(path[3]!) !== undefined) {
        return NameTree.leaf(bound(Path.take(path, 4), Path.drop(path, 4)))
      }
      if (path.length >= 3 && parsePort(path[2]!) !== undefined) {
        return NameTree.leaf(bound(Path.take(path, 3), Path.drop(path, 3)))
      }
    }
    if (kind === 'fail') return NameTree.Fail
    if (kind === 'nil') return NameTree.Empty
    throw new UnknownNamerError(elemText(kind), path)
  },
}

/**
 * Looks a path up through the configured namers in order (each sees the path after its
 * prefix; Neg moves on to the next), then the global `/$/` namer.
 */
export function namersLookup(namers: readonly MountedNamer[], path: PathT): Tree<Name> {
  for (const { prefix, namer } of namers) {
    if (!Path.startsWith(path, prefix)) continue
    const t = namer.lookup(Path.drop(path, prefix.length))
    if (t.type !== 'neg') return t
  }
  return globalNamer.lookup(path)
}

/**
 * What bind looks paths up with. `work`, when given, is the bind's meter: a lookup adds the
 * steps it took (dentries examined, nodes built), which bind cannot see (limits.ts).
 */
export type Lookup = (path: PathT, work?: Work) => Tree<Name>

/**
 * The interpreter's lookup (Linkerd's ConfiguredNamersInterpreter): the dtab first; the
 * namers only when the dtab's answer is exactly Neg, so one `~` dentry is invisible but an
 * Alt of two blocks resolution.
 */
export function interpreterLookup(dtab: DtabT, namers: readonly MountedNamer[] = []): Lookup {
  return (path, work) => {
    const t = lookupWith(dtab, path, pathName, work)
    return t.type === 'neg' ? namersLookup(namers, path) : t
  }
}
