// The namespaces and proxies pages' words: the create form says a name is wrong exactly when
// namerd's store would refuse it, proxies read `2 of 3 current`, and the proxies table is built
// from a real namerd's watcher listing (the page's own streams counted apart, one proxy's
// streams together).
import { isValidNamespace, NAMESPACE_RULE as STORE_RULE } from '@switchyard/store'
import { Watchers } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { eventually, startServer, watch } from '../../namerd/test/helpers.js'
import { versionName } from '../src/history/version.js'
import {
  NAMESPACE_RULE,
  namespaceProblem,
  proxiesBehind,
  proxiesText,
} from '../src/namespaces/names.js'
import { proxyRows } from '../src/proxies/rows.js'

t.test("a name is refused exactly when the store's rule refuses it", async (t) => {
  t.ok(STORE_RULE.endsWith(NAMESPACE_RULE), 'the form states the rule in the store’s words')
  for (const ok of ['default', 'web-1', 'a.b_c', 'X', 'x'.repeat(253)]) {
    t.equal(namespaceProblem(ok), null, ok.slice(0, 20))
  }
  t.match(namespaceProblem(''), /Give the namespace a name/)
  t.match(namespaceProblem('a/b'), /holds "\/"/)
  t.match(namespaceProblem('a b'), /space or control character/)
  t.match(namespaceProblem('..'), /cannot be a namespace name/)
  t.match(namespaceProblem('x'.repeat(254)), /254 characters long; at most 253/)
  const anyName = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.stringMatching(/^[A-Za-z0-9._-]{0,12}$/),
    fc.constantFrom('.', '..', '...', 'é', '\u0000', 'a\nb', '%2e%2e', 'x'.repeat(254)),
  )
  fc.assert(
    fc.property(anyName, (name) => (namespaceProblem(name) === null) === isValidNamespace(name)),
    { numRuns: 2000 },
  )
})

t.test('proxies at the current version, in words', async (t) => {
  t.equal(proxiesText(3, 2), '2 of 3 current')
  t.equal(proxiesText(0, 0), 'nobody watches', 'none at all is said in words, not as 0 of 0')
  t.ok(proxiesBehind(3, 2))
  t.notOk(proxiesBehind(2, 2))
  t.equal(versionName('AAAAAAAAAAE='), 'v1', 'versions are named as on the history page')
})

t.test(
  "a real namerd's watchers: one row per proxy stream, the page's own set apart",
  async (t) => {
    const { base } = await startServer(t)
    const put = await fetch(`${base}/api/1/dtabs/web`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab' },
      body: '/svc => /$/inet/127.0.0.1/1',
    })
    t.equal(put.status, 204)
    const streams: { path: string; headers: Record<string, string> }[] = [
      { path: '/api/1/dtabs/web?watch=1', headers: { 'l5d-watcher-id': 'proxy-b' } },
      { path: '/api/1/bind/web?path=/svc/a&watch=1', headers: { 'l5d-watcher-id': 'proxy-a' } },
      { path: '/api/1/dtabs/web?watch=1', headers: { 'l5d-watcher-id': 'proxy-a' } },
      { path: '/api/1/dtabs/web?watch=1', headers: {} },
      { path: '/api/1/dtabs/web?watch=1', headers: { 'l5d-watcher-id': 'dashboard' } },
    ]
    for (const s of streams) {
      const w = await watch(t, `${base}${s.path}`, s.headers)
      t.equal(w.res.status, 200)
      await w.lines.next()
    }
    let listing: Watchers | null = null
    await eventually('every stream listed and sent the version', async () => {
      const res = await fetch(`${base}/api/1/dtabs/web/watchers`)
      listing = Watchers.parse(await res.json())
      return listing.watchers.length === streams.length && listing.watchers.every((w) => w.current)
    })
    if (listing === null) throw new Error('no listing')
    const data = proxyRows([listing])
    t.equal(data.dashboards, 1, 'the page’s own stream is counted, not listed')
    t.equal(data.rows.length, 4)
    t.equal(data.current, 4)
    t.equal(data.proxies, 3, 'proxy-a (two streams), proxy-b, and one known by its address')
    const named = data.rows.filter((r) => r.remote !== null)
    t.same(
      named.map((r) => [r.proxy, r.kind]),
      [
        ['proxy-a', 'bind'],
        ['proxy-a', 'dtab'],
        ['proxy-b', 'dtab'],
      ],
      "one proxy's streams sit together",
    )
    const anonymous = data.rows.find((r) => r.remote === null)
    t.match(anonymous?.proxy, /^127\.0\.0\.1:\d+$/, 'a proxy that gave no id is its address')
    t.ok(
      data.rows.every((r) => r.namespace === 'web' && r.sentAt !== null),
      'each row knows when namerd last sent',
    )
  },
)

t.test('hostile listings: no watchers, many namespaces, odd ids', async (t) => {
  t.same(proxyRows([]), { rows: [], proxies: 0, current: 0, dashboards: 0 })
  const w = (id: string | null, stream: number) => ({
    id,
    stream,
    kind: 'dtab',
    path: '/api/1/dtabs/x?watch=1',
    remote: '10.0.0.1:1',
    since: '2026-01-01T00:00:00.000Z',
    version: null,
    sentAt: null,
    current: false,
    sent: 0,
    dropped: 0,
    bufferedBytes: 0,
    admin: null,
  })
  const data = proxyRows([
    { namespace: 'b', watchers: [w('<img src=x>', 1), w(null, 2)] },
    { namespace: 'a', watchers: [w('<img src=x>', 1)] },
  ])
  t.same(
    data.rows.map((r) => r.key),
    ['b#2', 'a#1', 'b#1'],
    'sorted by proxy, then namespace; keys unique across namespaces',
  )
  t.equal(data.current, 0)
})
