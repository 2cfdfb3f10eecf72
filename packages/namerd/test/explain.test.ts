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

// A misspelled namer (`io.l5d.fss`) was shown bound and pending, exit 0, where namerd has no
// namer there and `namerctl delegate` shows neg: a dtab that routes nowhere looked fine.
t.test('a namer kind Switchyard does not have is neg, named, and exits 1', async (t) => {
  const { code, out } = await explain(['-', '/svc/world'], '/svc => /#/io.l5d.fss;')
  t.equal(code, 1)
  t.match(out, '└─ /#/io.l5d.fss/world  via /svc=>/#/io.l5d.fss  ~ neg')
  t.notMatch(out, 'pending')
  t.match(out, '\nbinds to: ~\n')
  t.match(
    out,
    '\nno namer io.l5d.fss: Switchyard has none by that name (did you mean io.l5d.fs?)\n',
  )
  t.notMatch(out, 'not resolved here')

  const k8s = await explain(['-', '/svc/world'], '/svc => /#/io.l5d.k8z/default/http;')
  t.equal(k8s.code, 1)
  t.match(
    k8s.out,
    'no namer io.l5d.k8z: Switchyard has none by that name (did you mean io.l5d.k8s?)',
  )

  const consul = await explain(['-', '/svc/world'], '/svc => /#/io.l5d.consul/dc1;')
  t.equal(consul.code, 1)
  t.match(
    consul.out,
    /no namer io\.l5d\.consul: Switchyard has none by that name \(its namers: io\.l5d\.fs, io\.l5d\.k8s\)/,
  )

  const json = await explain(['-', '/svc/world', '--json'], '/svc => /#/io.l5d.fss;')
  t.equal(json.code, 1, '--json too')
  t.equal((JSON.parse(json.out) as { delegate: { type: string } }).delegate.type, 'neg')
})

t.test('a misspelled namer in an alt is named, and the path still binds by the next', async (t) => {
  const { code, out } = await explain(['-', '/svc/world'], '/svc => /#/io.l5d.fss | /#/io.l5d.fs;')
  t.equal(code, 0)
  t.match(out, '\nbinds to: /#/io.l5d.fs/world\n')
  t.match(out, 'no namer io.l5d.fss: Switchyard has none by that name (did you mean io.l5d.fs?)')
})
