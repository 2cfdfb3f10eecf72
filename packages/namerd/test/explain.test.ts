// `pnpm explain` (scripts/explain.ts) offline, without namers: a /#/<namer>/... name is the
// namer's to resolve, so it is shown as bound but pending and named as not resolved here, never
// as neg ("no route here") with "binds to: ~", which told a user a working dtab routed nowhere.
import t from 'tap'
import { runExplain as explain } from '../../../test/scripts/explain-process.js'

t.test("a namer's name is shown as the namer's, not resolved offline, not neg", async (t) => {
  const { code, out } = await explain(['-', '/svc/world'], '/svc => /#/io.l5d.fs;')
  t.equal(code, 0)
  t.match(out, '└─ /#/io.l5d.fs/world  via /svc=>/#/io.l5d.fs  → bound: pending\n')
  t.notMatch(out, 'neg')
  t.notMatch(out, 'binds to: ~')
  t.match(out, '\nbinds to: /#/io.l5d.fs/world\n')
  t.match(
    out,
    "\nnot resolved here: /#/io.l5d.fs/world is a namer's name, which explain cannot resolve without the namer (pending: whether the namer knows it, and the addresses)\n  namerd resolves it: namerctl delegate <namespace> /svc/world\n",
  )
})

t.test('a /$/inet name still binds offline, with no note', async (t) => {
  const { code, out } = await explain(['-', '/svc/world'], '/svc/world => /$/inet/127.0.0.1/8080;')
  t.equal(code, 0)
  t.match(out, '\nbinds to: /$/inet/127.0.0.1/8080\n')
  t.notMatch(out, 'not resolved here')
})

t.test('a name no dentry routes is still neg', async (t) => {
  const { code, out } = await explain(['-', '/other/world'], '/svc => /#/io.l5d.fs;')
  t.equal(code, 0)
  t.match(out, '~ neg: no route here')
  t.match(out, '\nbinds to: ~\n')
})

t.test('--json carries the pending addr as namerd would send it', async (t) => {
  const { code, out } = await explain(['-', '/svc/world', '--json'], '/svc => /#/io.l5d.fs;')
  t.equal(code, 0)
  const tree = JSON.parse(out) as { delegate: { type: string; bound: { addr: unknown } } }
  t.equal(tree.delegate.type, 'leaf')
  t.same(tree.delegate.bound.addr, { type: 'pending' })
})
