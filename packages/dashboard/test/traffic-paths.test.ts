// Which services the traffic view asks namerd about: the address's `?path=` list (checked with
// namerd's own parser, each once, at most 20) or namerd's defaults; the form adds to what is
// shown and refuses what namerd would.
import fc from 'fast-check'
import t from 'tap'
import {
  checkPath,
  MAX_PATHS,
  pathsOf,
  pathsQuery,
  trafficUrl,
  withoutPath,
  withPath,
} from '../src/traffic/paths.js'

t.test('a path is checked as namerd checks it, with the reason when it is not one', async (t) => {
  t.same(checkPath('  /svc/world '), { ok: true, path: '/svc/world' })
  const bad = checkPath('svc/world')
  t.equal(bad.ok, false)
  if (!bad.ok) t.match(bad.message, /svc\/world is not a path: '\/' expected/)
  const wild = checkPath('/svc/*')
  t.equal(wild.ok, false)
  t.equal(checkPath('').ok, false)
  t.equal(checkPath('/').ok, false, 'the root is not a service')
})

t.test("the address's paths: parsed ones, each once, in order, at most 20", async (t) => {
  const q = new URLSearchParams()
  for (const p of ['/svc/b', '/svc/a', '/svc/b', 'nope', '/svc/*']) q.append('path', p)
  t.same(pathsOf(q), ['/svc/b', '/svc/a'])
  const many = new URLSearchParams()
  for (let i = 0; i < 30; i++) many.append('path', `/svc/s${i}`)
  t.equal(pathsOf(many).length, MAX_PATHS)
  t.same(pathsOf(new URLSearchParams()), [], 'none: the defaults')
})

t.test('adding shows one more path, once; past 20 it is refused', async (t) => {
  t.same(withPath(['/svc/a'], '/svc/b'), ['/svc/a', '/svc/b'])
  t.same(withPath(['/svc/a'], '/svc/a'), ['/svc/a'])
  const full = Array.from({ length: MAX_PATHS }, (_, i) => `/svc/s${i}`)
  t.equal(withPath(full, '/svc/new'), null)
  t.same(withoutPath(['/svc/a', '/svc/b'], '/svc/a'), ['/svc/b'])
})

t.test('the URL namerd is asked, and the address, round-trip any paths', async (t) => {
  t.equal(trafficUrl('default', []), '/api/1/traffic/default')
  t.equal(
    trafficUrl('a b/c', ['/svc/x', '/svc/y']),
    '/api/1/traffic/a%20b%2Fc?path=%2Fsvc%2Fx&path=%2Fsvc%2Fy',
  )
  const elem = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,8}$/)
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.array(elem, { minLength: 1, maxLength: 3 }), { maxLength: 20 }),
      (ps) => {
        const paths = [...new Set(ps.map((p) => `/${p.join('/')}`))]
        return (
          JSON.stringify(pathsOf(new URLSearchParams(pathsQuery(paths)))) === JSON.stringify(paths)
        )
      },
    ),
  )
})
