// The delegation tree's keyboard, as the WAI-ARIA tree view pattern has it
// (https://www.w3.org/WAI/ARIA/apg/patterns/treeview/): Down/Up move through the visible items,
// Right opens a closed item or moves into an open one, Left closes an open item or moves to
// the parent, Home/End go to the first/last visible item, `*` opens the siblings, Enter toggles,
// and a printable character moves to the next item whose path starts with it. Pure: the view
// applies the answer (focus, expanded set), so this is tested under node.
import type { TreeItem } from './model.js'

/** One item as drawn, in document order: only those whose ancestors are all expanded. */
export interface Row {
  readonly item: TreeItem
  readonly parent: string | null
  /** 1 for the root (aria-level). */
  readonly level: number
}

export function visibleRows(root: TreeItem, expanded: ReadonlySet<string>): Row[] {
  const rows: Row[] = []
  const walk = (item: TreeItem, parent: string | null, level: number) => {
    rows.push({ item, parent, level })
    if (item.children.length > 0 && expanded.has(item.id)) {
      for (const c of item.children) walk(c, item.id, level + 1)
    }
  }
  walk(root, null, 1)
  return rows
}

/** Every item that has children: the tree starts fully open (delegation trees are small). */
export function allExpandable(root: TreeItem): Set<string> {
  const out = new Set<string>()
  const walk = (item: TreeItem) => {
    if (item.children.length > 0) out.add(item.id)
    for (const c of item.children) walk(c)
  }
  walk(root)
  return out
}

export interface KeyResult {
  /** The item to focus (the same one when only the expansion changed). */
  readonly focus: string
  readonly expanded: ReadonlySet<string>
}

/** What `key` does at the item `at`; null when the tree does not use the key (let it through). */
export function onTreeKey(
  key: string,
  at: string,
  root: TreeItem,
  expanded: ReadonlySet<string>,
): KeyResult | null {
  const rows = visibleRows(root, expanded)
  const i = rows.findIndex((r) => r.item.id === at)
  const row = rows[i]
  if (row === undefined) {
    // Focus on an item that is no longer shown (its parent closed): start from the top.
    const first = rows[0]
    return first === undefined ? null : { focus: first.item.id, expanded }
  }
  const stay = (focus: string, next: ReadonlySet<string> = expanded) => ({ focus, expanded: next })
  const hasChildren = row.item.children.length > 0
  const isOpen = hasChildren && expanded.has(at)
  switch (key) {
    case 'ArrowDown':
      return stay(rows[i + 1]?.item.id ?? at)
    case 'ArrowUp':
      return stay(rows[i - 1]?.item.id ?? at)
    case 'ArrowRight':
      if (!hasChildren) return stay(at)
      if (!isOpen) return stay(at, with_(expanded, at))
      return stay(row.item.children[0]?.id ?? at)
    case 'ArrowLeft':
      if (isOpen) return stay(at, without(expanded, at))
      return stay(row.parent ?? at)
    case 'Home':
      return stay(rows[0]?.item.id ?? at)
    case 'End':
      return stay(rows[rows.length - 1]?.item.id ?? at)
    case 'Enter':
      if (!hasChildren) return stay(at)
      return stay(at, isOpen ? without(expanded, at) : with_(expanded, at))
    case '*': {
      const next = new Set(expanded)
      for (const r of rows) {
        if (r.parent === row.parent && r.item.children.length > 0) next.add(r.item.id)
      }
      return stay(at, next)
    }
    default:
      if (isTypeAhead(key)) return stay(typeAhead(rows, i, key) ?? at)
      return null
  }
}

function isTypeAhead(key: string): boolean {
  return [...key].length === 1 && key.trim() !== '' && key !== '*'
}

/** The first letter people see in a path: `/svc/world` → `s`, `/#/io.l5d.fs` → `i`. */
export function initial(path: string): string {
  const m = /[\p{L}\p{N}]/u.exec(path)
  return m === null ? '' : m[0].toLocaleLowerCase()
}

function typeAhead(rows: readonly Row[], from: number, key: string): string | null {
  const want = key.toLocaleLowerCase()
  for (let step = 1; step <= rows.length; step++) {
    const r = rows[(from + step) % rows.length]
    if (r !== undefined && initial(r.item.path) === want) return r.item.id
  }
  return null
}

function with_(set: ReadonlySet<string>, id: string): ReadonlySet<string> {
  const next = new Set(set)
  next.add(id)
  return next
}

function without(set: ReadonlySet<string>, id: string): ReadonlySet<string> {
  const next = new Set(set)
  next.delete(id)
  return next
}
