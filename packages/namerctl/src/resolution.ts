// Does a destination resolve? Each path of a changed dentry's destination is delegated by
// namerd through the dtab as it will be written (POST /api/1/delegate with that dtab), and the
// tree namerd sends is judged as a router would route it: an alt takes its first member that is
// not negative, a union needs every member with a weight above 0 (a negative member would
// silently take its share elsewhere: a canary at 0%), and a bound name needs an endpoint.
import { type NameTree, type Path, Path as PathOps } from '@switchyard/dtab'
import type { NamerdClient } from './client.js'
import { changedDentries, leavesOf, readDst } from './destinations.js'
import { HttpError } from './errors.js'
import type { DelegateNode, DentryJson } from './schemas.js'

export interface BoundId {
  readonly id: string
  readonly endpoints: number
}

/** How a name came out: bound ids with endpoints, or why not. */
export type Outcome =
  | { readonly ok: true; readonly bound: readonly BoundId[] }
  | {
      readonly ok: false
      readonly why: string
      /** Negative: an alt goes on to its next member. */
      readonly neg: boolean
      /** namerd could not say (pending, timed out): not a no, but not a yes. */
      readonly unknown?: boolean
    }

export interface LeafCheck {
  readonly path: string
  readonly outcome: Outcome
  /** namerd's delegation tree, to show when the name does not resolve. */
  readonly tree: DelegateNode | null
}

export interface DentryCheck {
  readonly dentry: DentryJson
  readonly outcome: Outcome
  readonly leaves: readonly LeafCheck[]
}

export interface Resolution {
  readonly checked: readonly DentryCheck[]
  /** Changed dentries that route prefixes completed by requests: not checked. */
  readonly prefixes: readonly DentryJson[]
}

/**
 * Checks the dentries `after` adds or rewrites over `before` (null: a create, all of them),
 * delegating through `after` itself.
 */
export async function checkChange(
  client: NamerdClient,
  before: readonly DentryJson[] | null,
  after: readonly DentryJson[],
): Promise<Resolution> {
  const changes = changedDentries(before, after)
  const dtabText = after.map((d) => `${d.prefix}=>${d.dst}`).join(';')
  const cache = new Map<string, LeafCheck>()
  const checked: DentryCheck[] = []
  for (const { dentry, prefix } of changes) {
    if (prefix) continue
    const tree = readDst(dentry.dst)
    const paths = leavesOf(tree)
    // `/a => ~` and the like route nowhere on purpose: nothing to resolve.
    if (paths.length === 0) continue
    const leaves: LeafCheck[] = []
    for (const p of paths) {
      const key = PathOps.show(p)
      let leaf = cache.get(key)
      if (leaf === undefined) {
        leaf = await checkLeaf(client, dtabText, key)
        cache.set(key, leaf)
      }
      leaves.push(leaf)
    }
    const byPath = new Map(leaves.map((l) => [l.path, l.outcome]))
    checked.push({ dentry, leaves, outcome: judgeDst(tree, byPath) })
  }
  return { checked, prefixes: changes.filter((c) => c.prefix).map((c) => c.dentry) }
}

async function checkLeaf(client: NamerdClient, dtab: string, path: string): Promise<LeafCheck> {
  try {
    const tree = await client.delegateThrough(dtab, path)
    return { path, tree, outcome: judge(tree) }
  } catch (err) {
    if (!(err instanceof HttpError)) throw err
    const said = err.apiMessage === null ? '' : `: ${err.apiMessage}`
    return {
      path,
      tree: null,
      outcome: {
        ok: false,
        neg: false,
        unknown: true,
        why: `namerd could not delegate it (${err.status} ${err.statusText}${said})`,
      },
    }
  }
}

/** A delegation tree, judged as a router would route it. */
export function judge(node: DelegateNode): Outcome {
  switch (node.type) {
    case 'delegate':
      return judge(node.delegate)
    case 'transformation':
      return judge(node.tree)
    case 'alt':
      return firstNotNeg(node.alt.map(judge))
    case 'union':
      return allOf(node.union.filter((b) => b.weight > 0).map((b) => [b.tree.path, judge(b.tree)]))
    case 'leaf': {
      const addr = node.bound.addr
      const id = node.bound.id
      if (addr === undefined) return unknown(`${id}: namerd sent no addresses`)
      switch (addr.type) {
        case 'bound':
          return addr.addrs.length === 0
            ? { ok: false, neg: false, why: `${id} binds no endpoints` }
            : { ok: true, bound: [{ id, endpoints: addr.addrs.length }] }
        case 'neg':
          return { ok: false, neg: true, why: `${id}: the namer knows no such name (neg)` }
        case 'pending':
          return unknown(`${id} is still pending in namerd`)
        case 'failed':
          return {
            ok: false,
            neg: false,
            why: `${id} failed${addr.cause === undefined ? '' : `: ${addr.cause}`}`,
          }
      }
      return unknown(`${id}: unknown address`)
    }
    case 'neg':
      return { ok: false, neg: true, why: 'neg: no dentry or namer binds it' }
    case 'fail':
      return { ok: false, neg: false, why: 'it fails (!) by a dentry' }
    case 'empty':
      return { ok: false, neg: false, why: 'it is empty ($): no endpoints' }
    case 'exception':
      return { ok: false, neg: false, why: `namerd: ${node.message}` }
  }
}

/** The dentry's destination as written, each path replaced by how it came out. */
function judgeDst(tree: NameTree<Path>, byPath: ReadonlyMap<string, Outcome>): Outcome {
  switch (tree.type) {
    case 'leaf': {
      const key = PathOps.show(tree.value)
      return byPath.get(key) ?? unknown(`${key} was not checked`)
    }
    case 'alt':
      return firstNotNeg(tree.trees.map((m) => judgeDst(m, byPath)))
    case 'union':
      return allOf(
        tree.branches
          .filter((b) => b.weight > 0)
          .map((b) => [showTree(b.tree), judgeDst(b.tree, byPath)]),
      )
    case 'neg':
      return { ok: false, neg: true, why: '~' }
    case 'fail':
      return { ok: false, neg: false, why: '!' }
    case 'empty':
      return { ok: false, neg: false, why: '$' }
  }
}

function showTree(tree: NameTree<Path>): string {
  return tree.type === 'leaf' ? PathOps.show(tree.value) : '(a nested destination)'
}

function firstNotNeg(members: readonly Outcome[]): Outcome {
  for (const m of members) if (m.ok || !m.neg) return m
  const last = members.at(-1)
  return last ?? { ok: false, neg: true, why: 'an empty alternative' }
}

function allOf(members: readonly (readonly [string, Outcome])[]): Outcome {
  if (members.length === 0) return { ok: false, neg: true, why: 'every weight is 0' }
  const bound: BoundId[] = []
  for (const [what, m] of members) {
    if (!m.ok) return { ...m, neg: false, why: `${what}: ${m.why}` }
    bound.push(...m.bound)
  }
  return { ok: true, bound }
}

function unknown(why: string): Outcome {
  return { ok: false, neg: false, unknown: true, why }
}
