import { EMPTY, FAIL, NEG, parseNameTree } from './parser.js'
import { Path } from './path.js'
import type { Path as PathT, NameTree as Tree, Weighted } from './types.js'
import { formatWeight } from './weight.js'

const DEFAULT_WEIGHT = 1

/** Finagle's show: ` | ` and ` & ` with spaces, weights as `%.2f*`, 1.0 omitted. */
function show<T>(t: Tree<T>, leaf: (v: T) => string): string {
  if (t.type === 'union' && t.branches.length === 1) return show(t.branches[0]!.tree, leaf)
  if (t.type === 'alt' && t.trees.length === 1) return show(t.trees[0]!, leaf)
  if (t.type === 'alt') return t.trees.map((m) => show1(m, leaf)).join(' | ')
  return show1(t, leaf)
}

function show1<T>(t: Tree<T>, leaf: (v: T) => string): string {
  if (t.type === 'union' && t.branches.length === 1) return show1(t.branches[0]!.tree, leaf)
  if (t.type === 'alt' && t.trees.length === 1) return show1(t.trees[0]!, leaf)
  if (t.type === 'union') {
    return t.branches
      .map((b) =>
        b.weight === DEFAULT_WEIGHT
          ? showSimple(b.tree, leaf)
          : `${formatWeight(b.weight)}*${showSimple(b.tree, leaf)}`,
      )
      .join(' & ')
  }
  return showSimple(t, leaf)
}

function showSimple<T>(t: Tree<T>, leaf: (v: T) => string): string {
  switch (t.type) {
    case 'union':
      return t.branches.length === 1 ? showSimple(t.branches[0]!.tree, leaf) : `(${show(t, leaf)})`
    case 'alt':
      return t.trees.length === 1 ? showSimple(t.trees[0]!, leaf) : `(${show(t, leaf)})`
    case 'leaf':
      return leaf(t.value)
    case 'fail':
      return '!'
    case 'neg':
      return '~'
    case 'empty':
      return '$'
  }
}

function map<T, U>(t: Tree<T>, f: (v: T) => U): Tree<U> {
  switch (t.type) {
    case 'leaf':
      return { type: 'leaf', value: f(t.value) }
    case 'alt':
      return { type: 'alt', trees: t.trees.map((m) => map(m, f)) }
    case 'union':
      return {
        type: 'union',
        branches: t.branches.map((b) => ({ weight: b.weight, tree: map(b.tree, f) })),
      }
    default:
      return t
  }
}

/**
 * Finagle's simplify, a fixpoint: an Alt skips Neg members and stops at (and keeps) the first
 * Fail; a Union drops Fail and Neg members and keeps survivors' weights; a single member stands
 * alone (losing its weight); nothing left is Neg. No flattening, no de-duplication.
 */
function simplify<T>(t: Tree<T>): Tree<T> {
  switch (t.type) {
    case 'alt': {
      if (t.trees.length === 0) return NEG
      if (t.trees.length === 1) return simplify(t.trees[0]!)
      const kept: Tree<T>[] = []
      for (const m of t.trees) {
        const s = simplify(m)
        if (s.type === 'fail') {
          kept.push(s)
          break
        }
        if (s.type !== 'neg') kept.push(s)
      }
      if (kept.length === 0) return NEG
      return kept.length === 1 ? kept[0]! : { type: 'alt', trees: kept }
    }
    case 'union': {
      if (t.branches.length === 0) return NEG
      if (t.branches.length === 1) return simplify(t.branches[0]!.tree)
      const kept: Weighted<T>[] = []
      for (const b of t.branches) {
        const s = simplify(b.tree)
        if (s.type !== 'fail' && s.type !== 'neg') kept.push({ weight: b.weight, tree: s })
      }
      if (kept.length === 0) return NEG
      return kept.length === 1 ? kept[0]!.tree : { type: 'union', branches: kept }
    }
    default:
      return t
  }
}

type Evaluated<T> = { type: 'fail' } | { type: 'neg' } | { type: 'set'; values: T[] }

function evalTree<T>(t: Tree<T>, key: (v: T) => unknown): Evaluated<T> {
  switch (t.type) {
    case 'fail':
    case 'neg':
      return t
    case 'empty':
      return { type: 'set', values: [] }
    case 'leaf':
      return { type: 'set', values: [t.value] }
    case 'alt': {
      for (const m of t.trees) {
        const e = evalTree(m, key)
        if (e.type !== 'neg') return e
      }
      return { type: 'neg' }
    }
    case 'union': {
      // Finagle's `Union(Weighted(_, t)) => eval(t)`: a one-member union is its member, so
      // `Union(!)` is Fail (and stops an enclosing Alt), not Neg.
      if (t.branches.length === 1) return evalTree(t.branches[0]!.tree, key)
      const seen = new Map<unknown, T>()
      let any = false
      for (const b of t.branches) {
        const e = evalTree(b.tree, key)
        if (e.type !== 'set') continue
        any = true
        for (const v of e.values) if (!seen.has(key(v))) seen.set(key(v), v)
      }
      return any ? { type: 'set', values: [...seen.values()] } : { type: 'neg' }
    }
  }
}

function equals<T>(a: Tree<T>, b: Tree<T>, eq: (x: T, y: T) => boolean): boolean {
  if (a === b) return true
  switch (a.type) {
    case 'leaf':
      return b.type === 'leaf' && eq(a.value, b.value)
    case 'alt':
      return (
        b.type === 'alt' &&
        a.trees.length === b.trees.length &&
        a.trees.every((m, i) => equals(m, b.trees[i]!, eq))
      )
    case 'union':
      return (
        b.type === 'union' &&
        a.branches.length === b.branches.length &&
        a.branches.every((m, i) => {
          const o = b.branches[i]!
          return m.weight === o.weight && equals(m.tree, o.tree, eq)
        })
      )
    default:
      return a.type === b.type
  }
}

export type NameTree<T> = Tree<T>
/** Name trees: Finagle's `NameTree` constructors and operations. */
export const NameTree = {
  Neg: NEG,
  Fail: FAIL,
  Empty: EMPTY,
  leaf<T>(value: T): Tree<T> {
    return { type: 'leaf', value }
  },
  alt<T>(...trees: Tree<T>[]): Tree<T> {
    return { type: 'alt', trees }
  },
  union<T>(...branches: Weighted<T>[]): Tree<T> {
    return { type: 'union', branches }
  },
  weighted<T>(weight: number, tree: Tree<T>): Weighted<T> {
    return { weight, tree }
  },

  /** Parses `/a & 2 * /b | ~`; throws DtabParseError. */
  read: parseNameTree,
  /** Shows a tree of paths exactly as Finagle does. */
  show: (t: Tree<PathT>): string => show(t, Path.show),
  /** Shows a tree whose leaves print with `leaf`. */
  showWith: show,
  map,
  simplify,
  /**
   * The set of leaves the tree evaluates to, or undefined where Finagle's eval gives None
   * (Neg or Fail). Alt takes its first non-Neg member; Union joins members that are
   * neither Fail nor Neg; Empty is the empty set. Paths are de-duplicated by value.
   */
  eval(t: Tree<PathT>): Set<PathT> | undefined {
    const e = evalTree(t, Path.show)
    return e.type === 'set' ? new Set(e.values) : undefined
  },
  /** eval for any leaf type, de-duplicating leaves by `key`. */
  evalBy<T>(t: Tree<T>, key: (v: T) => unknown): Set<T> | undefined {
    const e = evalTree(t, key)
    return e.type === 'set' ? new Set(e.values) : undefined
  },
  /** Structural equality; weights compared with `===`. */
  equals: (a: Tree<PathT>, b: Tree<PathT>): boolean => equals(a, b, Path.equals),
  equalsBy: equals,
}
