// The data of the dtab language. Values are plain, immutable and structurally comparable;
// behaviour lives in the functions of path.ts, name-tree.ts, dentry.ts and dtab.ts.

/**
 * A path is a sequence of elements. Each element is a byte string: a JavaScript string whose
 * code units are all 0..255, one per byte (so `\x2f` is a `/` byte inside one element).
 * Byte strings compare with `===`, which makes path equality byte-wise, as in Finagle.
 */
export type Path = readonly string[]

/** The `*` of a dentry prefix: matches any one path element. */
export const AnyElem: unique symbol = Symbol.for('switchyard.dtab.AnyElem')
export type AnyElem = typeof AnyElem
export type PrefixElem = string | AnyElem
/** A dentry prefix: a path whose elements may be `*`. */
export type Prefix = readonly PrefixElem[]

export interface Weighted<T> {
  readonly weight: number
  readonly tree: NameTree<T>
}

/** Finagle's NameTree: leaves of T combined by fallback (alt) and weighted union. */
export type NameTree<T> =
  | { readonly type: 'leaf'; readonly value: T }
  | { readonly type: 'alt'; readonly trees: readonly NameTree<T>[] }
  | { readonly type: 'union'; readonly branches: readonly Weighted<T>[] }
  | { readonly type: 'neg' }
  | { readonly type: 'fail' }
  | { readonly type: 'empty' }

export interface Dentry {
  readonly prefix: Prefix
  readonly dst: NameTree<Path>
}

/** A delegation table: dentries in order; later entries take precedence. */
export type Dtab = readonly Dentry[]
