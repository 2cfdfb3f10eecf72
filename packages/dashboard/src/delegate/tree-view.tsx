// The delegation tree drawn as a WAI-ARIA tree: role=treeitem lines owning role=group containers,
// one tab stop (roving tabindex), the keys of keys.ts. Every item is named by its own line (path,
// dentry, weight, outcome, addresses; aria-labelledby, not its children's lines), so a screen
// reader says what a sighted user sees, in the same words (WCAG 2.5.3, label in name).
import { Fragment } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { allExpandable, onTreeKey, visibleRows } from './keys.js'
import type { Tone, TreeItem } from './model.js'

export interface DelegationTreeProps {
  readonly root: TreeItem
  /** The tree's accessible name, e.g. `Delegation of /svc/world`. */
  readonly label: string
  /** Prefix of the items' element ids (unique on the page). */
  readonly idPrefix: string
}

export function DelegationTree({ root, label, idPrefix }: DelegationTreeProps) {
  const [expanded, setExpandedState] = useState<ReadonlySet<string>>(() => allExpandable(root))
  const [focused, setFocused] = useState(root.id)
  // Keys can come faster than renders: the handler reads the newest expansion from here.
  const expandedNow = useRef(expanded)
  const setExpanded = (next: ReadonlySet<string>) => {
    expandedNow.current = next
    setExpandedState(next)
  }
  useEffect(() => {
    setExpanded(allExpandable(root))
    setFocused(root.id)
  }, [root])

  const itemOf = (target: EventTarget | null): string | null => {
    const el = target instanceof Element ? target.closest('[role="treeitem"]') : null
    return el instanceof HTMLElement ? (el.dataset.item ?? null) : null
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return
    const at = itemOf(e.target)
    if (at === null) return
    const next = onTreeKey(e.key, at, root, expandedNow.current)
    if (next === null) return
    e.preventDefault()
    e.stopPropagation()
    setExpanded(next.expanded)
    setFocused(next.focus)
    // Focus moves now, not after the render: every item a key can move to is already drawn
    // (keys.ts moves only among the visible items), and the next key must start from it.
    if (next.focus !== at) document.getElementById(`${idPrefix}-${next.focus}`)?.focus()
  }

  const toggle = (id: string) => {
    const next = new Set(expandedNow.current)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    setExpanded(next)
  }

  // The one tab stop: the focused item, or the root when a click closed the focused item's parent.
  const tabStop = visibleRows(root, expanded).some((r) => r.item.id === focused) ? focused : root.id

  return (
    <div
      role="tree"
      aria-label={label}
      class="dtree"
      onKeyDown={onKeyDown}
      onFocusIn={(e) => {
        const at = itemOf(e.target)
        if (at !== null) setFocused(at)
      }}
    >
      <Item
        item={root}
        level={1}
        posinset={1}
        setsize={1}
        expanded={expanded}
        focused={tabStop}
        idPrefix={idPrefix}
        onToggle={toggle}
      />
    </div>
  )
}

interface ItemProps {
  readonly item: TreeItem
  readonly level: number
  readonly posinset: number
  readonly setsize: number
  readonly expanded: ReadonlySet<string>
  readonly focused: string
  readonly idPrefix: string
  readonly onToggle: (id: string) => void
}

function Item(props: ItemProps) {
  const { item, expanded, focused, idPrefix } = props
  const hasChildren = item.children.length > 0
  const open = hasChildren && expanded.has(item.id)
  const id = `${idPrefix}-${item.id}`
  // The item is its own line only; its children's group is its sibling, owned through aria-owns
  // (the APG's navigation treeview). Nested inside, the group's lines would be part of the
  // item's visible text, which its name (its own line) must contain (WCAG 2.5.3).
  return (
    <div class="dtree-node">
      <div
        role="treeitem"
        id={id}
        data-item={item.id}
        aria-labelledby={`${id}-line`}
        aria-level={props.level}
        aria-posinset={props.posinset}
        aria-setsize={props.setsize}
        aria-expanded={hasChildren ? open : undefined}
        aria-owns={open ? `${id}-group` : undefined}
        tabIndex={focused === item.id ? 0 : -1}
        class="dtree-item dtree-row"
      >
        {hasChildren ? (
          // Mouse users' toggle; keyboard users have the arrows, so it is not a tab stop.
          <span
            class="dtree-toggle"
            aria-hidden="true"
            onClick={(e) => {
              e.stopPropagation()
              props.onToggle(item.id)
            }}
          >
            {open ? '▾' : '▸'}
          </span>
        ) : (
          <span class="dtree-toggle" aria-hidden="true" />
        )}
        <Line item={item} id={`${id}-line`} />
      </div>
      {open ? (
        // biome-ignore lint/a11y/useSemanticElements: the tree pattern's group of child items, not a form's fieldset
        <div role="group" id={`${id}-group`}>
          {item.children.map((c, i) => (
            <Item
              key={c.id}
              {...props}
              item={c}
              level={props.level + 1}
              posinset={i + 1}
              setsize={item.children.length}
            />
          ))}
        </div>
      ) : null}
    </div>
  )
}

const SIGN: Record<Tone, string> = { ok: '✓', warn: '~', bad: '✗', none: '' }

function Line({ item, id }: { item: TreeItem; id: string }) {
  return (
    <span class="dtree-line" id={id}>
      {item.tag === null ? null : <span class="dtree-tag">{item.tag}</span>}{' '}
      <code class="dtree-path">{item.path}</code>{' '}
      {item.dentry === null ? null : (
        <span class="dtree-dentry">
          via <code>{item.dentry}</code>
        </span>
      )}{' '}
      {item.outcome === null ? null : (
        <span class={`dtree-outcome ${item.tone === 'none' ? 'muted' : item.tone}`}>
          {SIGN[item.tone] === '' ? null : <span aria-hidden="true">{SIGN[item.tone]} </span>}
          {item.outcome}
        </span>
      )}{' '}
      {item.addresses.map((a) => (
        <Fragment key={a}>
          <code class="dtree-addr">{a}</code>{' '}
        </Fragment>
      ))}
    </span>
  )
}
