// A delegation tree as an indented tree for a terminal: every step shows the path it reached
// and the dentry that led there, so one can read off why a name goes where it goes.
//
//   /svc/world  alt: the first that resolves wins
//   ├─ #1 /svc/world-v1  via /svc/world=>/svc/world-v1
//   │  └─ /#/io.l5d.fs/world-v1  via /svc=>/#/io.l5d.fs  → bound: 10.0.0.5:8080, 10.0.0.6:8080
//   └─ #2 /#/io.l5d.fs/world  via /svc=>/#/io.l5d.fs  ~ neg: no route here
import { formatWeight } from '@switchyard/dtab'
import { hostPort } from '@switchyard/wire'
import type { Style } from './io.js'
import type { Addr, DelegateNode } from './schemas.js'

interface Child {
  readonly node: DelegateNode
  /** `#1`, `#2` for the members of an alt (tried in order); the weight for a union's. */
  readonly tag?: string
}

export function renderTree(root: DelegateNode, s: Style): string {
  const out: string[] = []
  walk(root, '', '', undefined, s, out)
  return `${out.join('\n')}\n`
}

function walk(
  node: DelegateNode,
  lead: string,
  childLead: string,
  tag: string | undefined,
  s: Style,
  out: string[],
): void {
  const parts = [lead + (tag === undefined ? '' : `${s.dim(tag)} `) + s.bold(node.path)]
  if (node.dentry !== undefined) parts.push(s.dim(`via ${node.dentry.prefix}=>${node.dentry.dst}`))
  const outcome = outcomeOf(node, s)
  if (outcome !== undefined) parts.push(outcome)
  out.push(parts.join('  '))
  const children = childrenOf(node)
  children.forEach((child, i) => {
    const last = i === children.length - 1
    walk(
      child.node,
      childLead + (last ? '└─ ' : '├─ '),
      childLead + (last ? '   ' : '│  '),
      child.tag,
      s,
      out,
    )
  })
}

function childrenOf(node: DelegateNode): Child[] {
  switch (node.type) {
    case 'delegate':
      return [{ node: node.delegate }]
    case 'alt':
      return node.alt.map((n, i) => ({ node: n, tag: `#${i + 1}` }))
    case 'union': {
      const total = node.union.reduce((sum, b) => sum + b.weight, 0)
      return node.union.map((b) => ({
        node: b.tree,
        tag: `${formatWeight(b.weight)} (${percent(b.weight, total)})`,
      }))
    }
    case 'transformation':
      return [{ node: node.tree }]
    default:
      return []
  }
}

function percent(w: number, total: number): string {
  if (total <= 0) return '0%'
  const p = (100 * w) / total
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`
}

function outcomeOf(node: DelegateNode, s: Style): string | undefined {
  switch (node.type) {
    case 'alt':
      return s.dim('alt: the first that resolves wins')
    case 'union':
      return s.dim('union: split by weight')
    case 'leaf': {
      // The id is usually the path itself; name it only when it differs (a residual path).
      const id = node.bound.id === node.path ? 'bound' : `bound as ${node.bound.id}`
      const residual = node.bound.path === '/' ? '' : ` (residual ${node.bound.path})`
      return `${s.green(`→ ${id}`)}${residual}${addrText(node.bound.addr, s)}`
    }
    case 'transformation':
      return s.dim(`transformation ${node.name ?? ''}`.trimEnd())
    case 'neg':
      return s.yellow('~ neg: no route here')
    case 'fail':
      return s.red('! fail: requests fail here')
    case 'empty':
      return s.yellow('$ empty: no endpoints')
    case 'exception':
      return s.red(`error: ${node.message}`)
    case 'delegate':
      return undefined
  }
}

function addrText(addr: Addr | undefined, s: Style): string {
  if (addr === undefined) return ''
  switch (addr.type) {
    case 'bound':
      return addr.addrs.length === 0
        ? s.yellow(': no endpoints')
        : `: ${addr.addrs.map((a) => hostPort(a.ip, a.port)).join(', ')}`
    case 'neg':
      return s.yellow(': neg (the namer knows no such name)')
    case 'pending':
      return s.yellow(': pending')
    case 'failed':
      return s.red(`: failed${addr.cause === undefined ? '' : ` (${addr.cause})`}`)
  }
}
