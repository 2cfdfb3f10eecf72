// The delegation tree's keyboard, as the WAI-ARIA tree view pattern has it: Down/Up through the
// visible items, Right opens then enters, Left closes then climbs, Home/End, Enter toggles, `*`
// opens the siblings, a letter jumps to the next item whose path starts with it.
import { Dtab, delegate, delegateTreeJson, Path } from '@switchyard/dtab'
import { DelegateNode } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { allExpandable, onTreeKey, visibleRows } from '../src/delegate/keys.js'
import { allItems, type TreeItem, toTree } from '../src/delegate/model.js'

const treeOf = (dtab: string, path: string): TreeItem =>
  toTree(
    DelegateNode.parse(JSON.parse(delegateTreeJson(delegate(Dtab.read(dtab), Path.read(path))))),
  )

// /svc/world: an alt of [neg /srv/world (via /svc=>/srv), a union of /srv/v1 (leaf) and /srv/v2
// (an alt of two leaves)].
const tree = treeOf(
  '/srv/v1 => /$/inet/127.0.0.1/1; /srv/v2 => /$/inet/127.0.0.1/2 | /$/inet/127.0.0.1/3;' +
    '/svc/world => 9 * /srv/v1 & 1 * /srv/v2; /svc => /srv',
  '/svc/world',
)
const open = allExpandable(tree)
const ids = visibleRows(tree, open).map((r) => r.item.id)

/** Presses keys from `at`, with everything open; returns where focus ends and what is open. */
function press(keys: string[], at = '0', expanded: ReadonlySet<string> = open) {
  let state = { focus: at, expanded }
  for (const k of keys) state = onTreeKey(k, state.focus, tree, state.expanded) ?? state
  return state
}

t.test('the tree starts fully open, every item visible in document order', async (t) => {
  t.same(ids, ['0', '0.0', '0.1', '0.1.0', '0.1.0.0', '0.1.1', '0.1.1.0', '0.1.1.1'])
  t.same(
    ids,
    allItems(tree).map((i) => i.id),
  )
  t.same(
    visibleRows(tree, open).map((r) => r.level),
    [1, 2, 2, 3, 4, 3, 4, 4],
    'aria-level',
  )
})

t.test('Down and Up move one visible item, stopping at the ends', async (t) => {
  t.equal(press(['ArrowDown']).focus, '0.0')
  t.equal(press(['ArrowDown', 'ArrowDown', 'ArrowDown']).focus, '0.1.0')
  t.equal(press(['ArrowUp']).focus, '0', 'Up on the first item stays')
  t.equal(press(['ArrowDown'], '0.1.1.1').focus, '0.1.1.1', 'Down on the last item stays')
  t.equal(press(['ArrowDown', 'ArrowUp'], '0.1.0.0').focus, '0.1.0.0')
})

t.test(
  'Right opens a closed item, then moves to its first child; on a leaf it does nothing',
  async (t) => {
    const closed = new Set([...open].filter((id) => id !== '0.1'))
    const once = press(['ArrowRight'], '0.1', closed)
    t.equal(once.focus, '0.1', 'opening keeps focus')
    t.ok(once.expanded.has('0.1'))
    t.equal(press(['ArrowRight', 'ArrowRight'], '0.1', closed).focus, '0.1.0')
    const leaf = press(['ArrowRight'], '0.0')
    t.equal(leaf.focus, '0.0')
    t.same([...leaf.expanded].sort(), [...open].sort())
  },
)

t.test('Left closes an open item, then moves to its parent; on the root it stays', async (t) => {
  const once = press(['ArrowLeft'], '0.1')
  t.equal(once.focus, '0.1')
  t.notOk(once.expanded.has('0.1'))
  t.equal(press(['ArrowLeft', 'ArrowLeft'], '0.1').focus, '0')
  t.equal(press(['ArrowLeft'], '0.1.1.0').focus, '0.1.1', 'a leaf moves to its parent')
  const root = press(['ArrowLeft', 'ArrowLeft'], '0')
  t.equal(root.focus, '0')
  t.notOk(root.expanded.has('0'))
})

t.test('a closed item hides its descendants from Down and Up', async (t) => {
  const s = press(['ArrowLeft', 'ArrowDown'], '0.1.0')
  t.equal(s.focus, '0.1.1', 'Down skips the closed item’s leaf')
  t.equal(press(['ArrowUp'], '0.1.1', s.expanded).focus, '0.1.0')
})

t.test('Home and End go to the first and last visible items', async (t) => {
  t.equal(press(['Home'], '0.1.1.0').focus, '0')
  t.equal(press(['End'], '0.0').focus, '0.1.1.1')
  const closed = new Set([...open].filter((id) => id !== '0.1'))
  t.equal(press(['End'], '0', closed).focus, '0.1', 'End stops at the last visible item')
})

t.test('Enter toggles an item; * opens every sibling', async (t) => {
  t.notOk(press(['Enter'], '0.1').expanded.has('0.1'))
  t.ok(press(['Enter', 'Enter'], '0.1').expanded.has('0.1'))
  const none = new Set<string>(['0', '0.1'])
  const star = press(['*'], '0.1.0', none)
  t.ok(star.expanded.has('0.1.1'), 'the sibling with children opened')
  t.equal(star.focus, '0.1.0')
})

t.test('a letter moves to the next item whose path starts with it, wrapping', async (t) => {
  // Paths: /svc/world, /srv/world, /svc/world, /srv/v1, /$/inet/... (i), /srv/v2, /$/inet ×2.
  t.equal(press(['i']).focus, '0.1.0.0')
  t.equal(press(['i', 'i']).focus, '0.1.1.0')
  t.equal(press(['S'], '0.1.1.1').focus, '0', 'case-insensitive, wraps to the top')
  t.equal(press(['q']).focus, '0', 'no match: stays')
})

t.test('keys the tree does not use are left to the browser', async (t) => {
  t.equal(onTreeKey('Tab', '0', tree, open), null)
  t.equal(onTreeKey('Escape', '0', tree, open), null)
  t.equal(onTreeKey(' ', '0', tree, open), null)
})

t.test('focus on an item that is no longer shown starts again from the top', async (t) => {
  t.equal(onTreeKey('ArrowDown', '9.9', tree, open)?.focus, '0')
})

t.test(
  'any key sequence: focus is always a visible item, Left enough times reaches the root',
  async () => {
    const key = fc.constantFrom(
      'ArrowDown',
      'ArrowUp',
      'ArrowLeft',
      'ArrowRight',
      'Home',
      'End',
      'Enter',
      '*',
      's',
      'i',
    )
    fc.assert(
      fc.property(fc.array(key, { maxLength: 40 }), (keys) => {
        let s: { focus: string; expanded: ReadonlySet<string> } = { focus: '0', expanded: open }
        for (const k of keys) {
          s = onTreeKey(k, s.focus, tree, s.expanded) ?? s
          if (!visibleRows(tree, s.expanded).some((r) => r.item.id === s.focus)) return false
        }
        for (let i = 0; i < 2 * ids.length; i++)
          s = onTreeKey('ArrowLeft', s.focus, tree, s.expanded) ?? s
        return s.focus === '0'
      }),
    )
  },
)
