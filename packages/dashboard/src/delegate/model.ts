// A delegation tree (namerd's DelegateNode JSON) as the items the delegator draws: each step's
// path, the dentry that led there (`/svc => /srv`), its weight or place among alternatives, and
// what it ends in (bound addresses, neg, fail, an error). Pure: no DOM, so it is tested under node.
import { formatWeight } from '@switchyard/dtab'
import { type DelegateNode, hostPort } from '@switchyard/wire'

/** How an outcome reads: good (bound), a dead end (neg, empty), broken (fail, error). */
export type Tone = 'ok' | 'warn' | 'bad' | 'none'

export interface TreeItem {
  /** Stable within one tree: the child indices from the root, `0`, `0.1`, `0.1.0`. */
  readonly id: string
  readonly type: DelegateNode['type']
  readonly path: string
  /** The dentry that led here, printed `prefix => dst`; null on the root. */
  readonly dentry: string | null
  /** Its place under its parent: `alternative 1 of 2`, `weight 9.00 (90%)`; null otherwise. */
  readonly tag: string | null
  /** What this node is or ends in, in words: `alt: the first that resolves wins`, `neg: no route`. */
  readonly outcome: string | null
  /** A leaf's bound addresses (`127.0.0.1:8080`, with an endpoint weight when not 1). */
  readonly addresses: readonly string[]
  readonly tone: Tone
  readonly children: readonly TreeItem[]
}

export function toTree(root: DelegateNode): TreeItem {
  return build(root, '0', null)
}

function build(node: DelegateNode, id: string, tag: string | null): TreeItem {
  const { outcome, tone, addresses } = outcomeOf(node)
  const children = childrenOf(node).map((c, i) => build(c.node, `${id}.${i}`, c.tag))
  return {
    id,
    type: node.type,
    path: node.path,
    dentry: node.dentry === undefined ? null : `${node.dentry.prefix} => ${node.dentry.dst}`,
    tag,
    outcome,
    addresses,
    tone,
    children,
  }
}

function childrenOf(node: DelegateNode): { node: DelegateNode; tag: string | null }[] {
  switch (node.type) {
    case 'delegate':
      return [{ node: node.delegate, tag: null }]
    case 'transformation':
      return [{ node: node.tree, tag: null }]
    case 'alt':
      return node.alt.map((n, i) => ({
        node: n,
        tag: `alternative ${i + 1} of ${node.alt.length}`,
      }))
    case 'union': {
      const total = node.union.reduce((sum, b) => sum + Math.max(b.weight, 0), 0)
      return node.union.map((b) => ({
        node: b.tree,
        tag: `weight ${formatWeight(b.weight)} (${percent(b.weight, total)})`,
      }))
    }
    default:
      return []
  }
}

/** A weight's share of its union, as `10%` or `33.3%`; a weight of 0 (or less) is 0%. */
export function percent(weight: number, total: number): string {
  if (!(total > 0) || !(weight > 0)) return '0%'
  const p = (100 * weight) / total
  const rounded = Math.round(p * 10) / 10
  return `${Number.isInteger(rounded) ? rounded : rounded.toFixed(1)}%`
}

interface Outcome {
  readonly outcome: string | null
  readonly tone: Tone
  readonly addresses: string[]
}

function outcomeOf(node: DelegateNode): Outcome {
  switch (node.type) {
    case 'delegate':
      return { outcome: null, tone: 'none', addresses: [] }
    case 'alt':
      return { outcome: 'alt: the first that resolves wins', tone: 'none', addresses: [] }
    case 'union':
      return { outcome: 'union: split by weight', tone: 'none', addresses: [] }
    case 'transformation':
      return {
        outcome: `transformation${node.name === undefined ? '' : ` ${node.name}`}`,
        tone: 'none',
        addresses: [],
      }
    case 'neg':
      return { outcome: 'neg: no route here', tone: 'warn', addresses: [] }
    case 'fail':
      return { outcome: 'fail: requests fail here', tone: 'bad', addresses: [] }
    case 'empty':
      return { outcome: 'empty: no endpoints', tone: 'warn', addresses: [] }
    case 'exception':
      return { outcome: `error: ${node.message}`, tone: 'bad', addresses: [] }
    case 'leaf':
      return leafOutcome(node)
  }
}

function leafOutcome(node: Extract<DelegateNode, { type: 'leaf' }>): Outcome {
  const { bound } = node
  // The id is usually the path itself; name it only when it differs (a residual path).
  const as = bound.id === node.path ? 'bound' : `bound as ${bound.id}`
  const residual = bound.path === '/' ? '' : ` (residual ${bound.path})`
  const addr = bound.addr
  if (addr === undefined) return { outcome: `${as}${residual}`, tone: 'ok', addresses: [] }
  switch (addr.type) {
    case 'bound': {
      if (addr.addrs.length === 0) {
        return { outcome: `${as}${residual}: no endpoints`, tone: 'warn', addresses: [] }
      }
      const addresses = addr.addrs.map((a) => {
        const w = a.meta?.endpoint_addr_weight
        const at = hostPort(a.ip, a.port)
        return w === undefined || w === 1 ? at : `${at} (weight ${formatWeight(w)})`
      })
      return { outcome: `${as}${residual}`, tone: 'ok', addresses }
    }
    case 'neg':
      return {
        outcome: `${as}${residual}: neg, the namer knows no such name`,
        tone: 'warn',
        addresses: [],
      }
    case 'pending':
      return {
        outcome: `${as}${residual}: pending, addresses not known yet`,
        tone: 'warn',
        addresses: [],
      }
    case 'failed':
      return { outcome: `${as}${residual}: failed (${addr.cause})`, tone: 'bad', addresses: [] }
  }
}

/** Every item, depth first, as drawn when all is expanded. */
export function allItems(root: TreeItem): TreeItem[] {
  const out: TreeItem[] = []
  const walk = (item: TreeItem) => {
    out.push(item)
    for (const c of item.children) walk(c)
  }
  walk(root)
  return out
}

/**
 * What the tree's ends come to, for the line announced with a new answer: `8 steps; ends: 3
 * bound, 1 neg`. Which end wins is the tree's to show (an alt takes its first that resolves).
 */
export function summary(root: TreeItem): string {
  const items = allItems(root)
  const ends = new Map<string, number>()
  for (const i of items) {
    if (i.children.length > 0 || i.type === 'delegate') continue
    const word = i.type === 'leaf' ? (i.tone === 'ok' ? 'bound' : 'bound, not usable') : i.type
    ends.set(word, (ends.get(word) ?? 0) + 1)
  }
  const parts = [...ends].map(([word, n]) => `${n} ${word}`)
  return `${items.length} step${items.length === 1 ? '' : 's'}; ends: ${parts.join(', ')}`
}

/**
 * Where the delegation binds, in words, for the line announced with the answer (so it is not
 * only at the bottom of a long tree): `bound to /#/io.l5d.fs/world-v1 at 127.0.0.1:8081`; the
 * ends that bound to usable addresses, at most `max`; null when none did.
 */
export function boundSummary(root: TreeItem, max = 3): string | null {
  const bound = allItems(root).filter(
    (i) => i.type === 'leaf' && i.tone === 'ok' && i.children.length === 0,
  )
  if (bound.length === 0) return null
  const named = bound.slice(0, max).map((i) => {
    const at = i.addresses.length === 0 ? '' : ` at ${i.addresses.join(' ')}`
    return `${i.path}${at}`
  })
  const more = bound.length > max ? ` and ${bound.length - max} more` : ''
  return `bound to ${named.join('; ')}${more}`
}
