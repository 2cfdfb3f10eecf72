import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { DtabHeaderError, OverrideParser, parseOverrides } from '../src/route/index.js'

t.test('no override headers give the empty local dtab and no l5d-ctx-dtab', async (t) => {
  const o = parseOverrides({})
  t.ok(o.ok)
  if (!o.ok) return
  t.same(o.local, [])
  t.equal(o.text, '')
})

t.test('l5d-ctx-dtab comes first and l5d-dtab after it, so the user wins', async (t) => {
  const o = parseOverrides({
    'l5d-ctx-dtab': '/svc/a=>/srv/ctx',
    'l5d-dtab': '/svc/a => /srv/user',
  })
  if (!o.ok) throw o.error
  t.equal(Dtab.show(o.local), '/svc/a=>/srv/ctx;/svc/a=>/srv/user')
  t.equal(o.text, '/svc/a=>/srv/ctx;/svc/a=>/srv/user', 'the next hop gets both as l5d-ctx-dtab')
  t.same(Dtab.lookup(o.local, ['svc', 'a']).type, 'alt', 'both match; the later is tried first')
  const first = Dtab.lookup(o.local, ['svc', 'a'])
  t.equal(
    first.type === 'alt' && first.trees[0]?.type === 'leaf' && first.trees[0].value.join('/'),
    'srv/user',
  )
})

t.test('several values of one header are joined with ;', async (t) => {
  const o = parseOverrides({}, { 'l5d-dtab': ['/a=>/b', '/c=>/d'] })
  if (!o.ok) throw o.error
  t.equal(Dtab.show(o.local), '/a=>/b;/c=>/d')
  const arr = parseOverrides({ 'l5d-dtab': ['/a=>/b', '/c=>/d'] as unknown as string })
  t.equal(arr.ok && Dtab.show(arr.local), '/a=>/b;/c=>/d')
})

t.test('a malformed header is a typed error naming the header and the offset', async (t) => {
  const user = parseOverrides({ 'l5d-ctx-dtab': '/ok=>/fine', 'l5d-dtab': '/a=>/b;/x=>>/y' })
  t.notOk(user.ok)
  if (user.ok) return
  t.type(user.error, DtabHeaderError)
  t.equal(user.error.code, 'invalid_dtab_header')
  t.equal(user.error.header, 'l5d-dtab')
  t.equal(user.error.offset, 11)
  t.match(user.message, /^Invalid l5d-dtab header at offset 11: /)
  const ctx = parseOverrides({ 'l5d-ctx-dtab': 'nope' })
  t.equal(!ctx.ok && ctx.error.header, 'l5d-ctx-dtab')
  t.equal(!ctx.ok && ctx.error.offset, 0)
})

t.test('parses are cached by header text, in a bounded cache', async (t) => {
  const p = new OverrideParser(2)
  const a = p.parse({ 'l5d-dtab': '/a=>/b' })
  t.equal(p.parse({ 'l5d-dtab': '/a=>/b' }), a, 'same text, same result object')
  p.parse({ 'l5d-dtab': '/c=>/d' })
  p.parse({ 'l5d-dtab': '/e=>/f' })
  t.equal(p.size, 2)
  t.not(p.parse({ 'l5d-dtab': '/a=>/b' }), a, 'the oldest was forgotten')
})
