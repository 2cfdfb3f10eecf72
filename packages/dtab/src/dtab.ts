import { Dentry, Prefix } from './dentry.js'
import { DtabJsonError, DtabParseError } from './errors.js'
import { NODE_STEPS, type Work } from './limits.js'
import { NameTree } from './name-tree.js'
import { NEG, parseDtab } from './parser.js'
import { Path } from './path.js'
import type { Dentry as DentryT, Dtab as DtabT, Path as PathT, NameTree as Tree } from './types.js'

/** The wire form of one dentry, as namerd's API and the Kubernetes CRD carry it. */
export interface DentryJson {
  prefix: string
  dst: string
}

/**
 * Dtab lookup with each resulting leaf path passed through `leaf`, in one pass (the
 * interpreter turns leaves into names; mapping afterwards would rebuild every tree). With
 * `work`, the steps it took are added there (limits.ts): for each dentry, one plus the path
 * elements its prefix is compared with; for each match, the rest of the path copied, and its
 * dst's nodes built (NODE_STEPS each) with each leaf's path copied.
 */
export function lookupWith<T>(
  dtab: DtabT,
  path: PathT,
  leaf: (p: PathT) => T,
  work?: Work,
): Tree<T> {
  const matches: Tree<T>[] = []
  // Counted in locals and added once: the normal path pays an addition per dentry and node.
  let steps = 0
  built = 0
  // Every matching dentry contributes, the last one first: later entries win.
  for (let i = dtab.length - 1; i >= 0; i--) {
    const d = dtab[i]!
    steps += d.prefix.length <= path.length ? 1 + d.prefix.length : 1
    if (!Prefix.matches(d.prefix, path)) continue
    const rest = Path.drop(path, d.prefix.length)
    steps += rest.length
    matches.push(
      mapCounting(d.dst, (p) => {
        built += p.length + rest.length
        return leaf(Path.concat(p, rest))
      }),
    )
  }
  if (work !== undefined) work.spent += steps + built
  if (matches.length === 0) return NEG
  return matches.length === 1 ? matches[0]! : { type: 'alt', trees: matches }
}

/**
 * Steps spent building trees by the lookup under way, counted in a module variable so that
 * the normal path pays one addition per node (lookups do not nest: a `leaf` function does no
 * lookup); each lookup starts it at 0.
 */
let built = 0

/** NameTree.map, counting NODE_STEPS per node built in `built`. */
function mapCounting<T, U>(t: Tree<T>, f: (v: T) => U): Tree<U> {
  built += NODE_STEPS
  switch (t.type) {
    case 'leaf':
      return { type: 'leaf', value: f(t.value) }
    case 'alt':
      return { type: 'alt', trees: t.trees.map((m) => mapCounting(m, f)) }
    case 'union':
      return {
        type: 'union',
        branches: t.branches.map((b) => ({ weight: b.weight, tree: mapCounting(b.tree, f) })),
      }
    default:
      return t
  }
}

function lookup(dtab: DtabT, path: PathT): Tree<PathT> {
  return lookupWith(dtab, path, (p) => p)
}

export type Dtab = DtabT
export const Dtab = {
  empty: Object.freeze([]) as DtabT,
  /** Finagle's `Dtab.fail`, `/=>!`. */
  fail: Object.freeze([{ prefix: [], dst: NameTree.Fail }]) as DtabT,

  /** Parses `/a => /b; /c => /d`; throws DtabParseError with Finagle's message and offset. */
  read: parseDtab,
  /** `prefix=>dst` joined by `;`, no spaces; the empty dtab shows as the empty string. */
  show(dtab: DtabT): string {
    return dtab.map(Dentry.show).join(';')
  },
  /** Finagle's debugging form, `Dtab(<show>)` (semantics §7), as Path.toString gives `Path(a,b)`. */
  toString(dtab: DtabT): string {
    return `Dtab(${Dtab.show(dtab)})`
  },
  /** Finagle's `++`: a's entries then b's. */
  concat(a: DtabT, b: DtabT): DtabT {
    if (b.length === 0) return a
    if (a.length === 0) return b
    return [...a, ...b]
  },
  /**
   * What the dtab rewrites `path` to: every dentry whose prefix matches, last first, each
   * giving `dst ++ rest of path`; none gives Neg, one gives its tree, several an Alt.
   * Not simplified.
   */
  lookup,
  /** Removes `prefix` when its entries begin this dtab; otherwise returns it unchanged. */
  stripPrefix(dtab: DtabT, prefix: DtabT): DtabT {
    if (prefix.length === 0 || prefix.length > dtab.length) return dtab
    for (let i = 0; i < prefix.length; i++) if (!Dentry.equals(dtab[i]!, prefix[i]!)) return dtab
    return dtab.slice(prefix.length)
  },
  /** Simplifies every dst and drops the entries whose dst becomes Neg. */
  simplified(dtab: DtabT): DtabT {
    const out: DentryT[] = []
    for (const d of dtab) {
      const dst = NameTree.simplify(d.dst)
      if (dst.type !== 'neg') out.push({ prefix: d.prefix, dst })
    }
    return out
  },
  /** Structural equality (Finagle's case-class equality). */
  equals(a: DtabT, b: DtabT): boolean {
    return a.length === b.length && a.every((d, i) => Dentry.equals(d, b[i]!))
  },
  /** Finagle's Equiv[Dtab]: entry by entry, comparing simplified dsts. */
  equiv(a: DtabT, b: DtabT): boolean {
    return a.length === b.length && a.every((d, i) => Dentry.equiv(d, b[i]!))
  },

  toJson(dtab: DtabT): DentryJson[] {
    return dtab.map((d) => ({ prefix: Prefix.show(d.prefix), dst: NameTree.show(d.dst) }))
  },
  /**
   * Reads the JSON form `[{"prefix": "/svc", "dst": "/#/io.l5d.fs"}]` (already parsed
   * from text). Throws DtabJsonError naming the entry and, for a syntax error, wrapping the
   * DtabParseError.
   */
  fromJson(value: unknown): DtabT {
    if (!Array.isArray(value)) {
      throw new DtabJsonError(
        `a dtab in JSON is an array of {"prefix","dst"} objects, not ${describe(value)}`,
      )
    }
    return value.map((entry: unknown, i) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new DtabJsonError(
          `dentry ${i} must be an object with "prefix" and "dst", not ${describe(entry)}`,
          i,
        )
      }
      const { prefix, dst } = entry as Record<string, unknown>
      if (typeof prefix !== 'string')
        throw new DtabJsonError(`dentry ${i}: "prefix" must be a string`, i)
      if (typeof dst !== 'string') throw new DtabJsonError(`dentry ${i}: "dst" must be a string`, i)
      return {
        prefix: readField(Prefix.read, prefix, i, 'prefix'),
        dst: readField(NameTree.read, dst, i, 'dst'),
      }
    })
  },
}

function readField<T>(read: (s: string) => T, text: string, i: number, field: string): T {
  try {
    return read(text)
  } catch (err) {
    if (err instanceof DtabParseError) {
      throw new DtabJsonError(`dentry ${i}: invalid ${field}: ${err.message}`, i, err)
    }
    throw err
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`
}
