// The proxies table and the namespaces list say what a proxy RUNS (audit H1): against a real
// namerd with proxies watching and their admin ports answering /admin/routers.json (fake admins
// on loopback: one up to date, one hung), the rows built from namerd's watcher listing and its
// proxy-status call the hung one "no: sent v2, not confirmed", the summary says so, and the
// overview counts 1 of 2 current. Also the filter, "nobody watches", and stream health (M3, L4).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Overview, ProxyStatus, Watchers } from '@switchyard/wire'
import t from 'tap'
import { eventually, startServer, watch } from '../../namerd/test/helpers.js'
import { filterNamespaces, proxiesBehind, proxiesText } from '../src/namespaces/names.js'
import {
  confirmOf,
  filterRows,
  proxyRows,
  proxySummary,
  streamHealth,
} from '../src/proxies/rows.js'

async function admin(
  t: { teardown(fn: () => unknown): void },
  answer: () => string | null,
): Promise<string> {
  const server = createServer((req, res) => {
    const body = answer()
    if (req.url !== '/admin/routers.json' || body === null) return // hung: never answers
    res.writeHead(200, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

const routers = (version: string) =>
  JSON.stringify([
    {
      label: 'out',
      interpreter: { kind: 'io.l5d.namerd.http', namespace: 'web', connected: true },
      version,
    },
  ])

t.test('a hung proxy is not current: rows, summary and overview agree', async (t) => {
  const { base } = await startServer(t)
  const put = (body: string) =>
    fetch(`${base}/api/1/dtabs/web`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab' },
      body,
    })
  t.equal((await put('/svc => /$/inet/127.0.0.1/1')).status, 204)
  let current = ''
  const good = await admin(t, () => routers(current))
  const hung = await admin(t, () => null)
  for (const [id, a] of [
    ['proxy-1', good],
    ['proxy-2', hung],
  ] as const) {
    const w = await watch(t, `${base}/api/1/dtabs/web?watch=1`, {
      'l5d-watcher-id': id,
      'l5d-watcher-admin': a,
    })
    await w.lines.next()
  }
  // A change: namerd sends it to both streams; only proxy-1 says it routes on it.
  const res = await put('/svc => /$/inet/127.0.0.1/2')
  current = res.headers.get('etag') ?? ''
  let listing: Watchers | null = null
  await eventually('both streams sent the new version', async () => {
    listing = Watchers.parse(await (await fetch(`${base}/api/1/dtabs/web/watchers`)).json())
    return listing.watchers.length === 2 && listing.watchers.every((w) => w.current)
  })
  if (listing === null) throw new Error('no listing')
  const status = ProxyStatus.parse(await (await fetch(`${base}/api/1/proxy-status/web`)).json())
  const data = proxyRows([
    { namespace: 'web', watchers: (listing as Watchers).watchers, proxies: status.proxies },
  ])
  const [one, two] = data.rows
  t.match(one, { proxy: 'proxy-1', current: true, confirm: { state: 'confirmed' } })
  t.match(two, {
    proxy: 'proxy-2',
    current: false,
    confirm: { state: 'contradicted', why: /no whole answer within 1500 ms/ },
  })
  t.equal(data.current, 1, 'namerd sent both, one runs it')
  t.match(proxySummary(data), {
    text: /2 watch streams from 2 proxies: 1 not at the current version: 1 sent it but not confirmed by the proxy/,
    tone: 'warn',
  })
  const o = Overview.parse(await (await fetch(`${base}/api/1/overview`)).json())
  const web = o.namespaces.find((n) => n.namespace === 'web')!
  t.equal(proxiesText(web.watchers, web.current), '1 of 2 current')
  t.ok(proxiesBehind(web.watchers, web.current))
})

t.test('confirmation in words, for each case', async (t) => {
  const w = { current: true, admin: '127.0.0.1:9990' }
  const s = (state: 'confirmed' | 'behind' | 'unanswered' | 'unknown', why: string | null) => ({
    admin: w.admin,
    state,
    versions: [],
    why,
    readAt: null,
  })
  t.equal(confirmOf({ ...w, current: false }, undefined), null, 'not sent: nothing to confirm')
  t.match(confirmOf({ ...w, admin: null }, undefined), {
    state: 'unconfirmed',
    why: /named no admin address/,
  })
  t.match(confirmOf(w, undefined), { state: 'unconfirmed', why: /not read yet/ })
  t.match(confirmOf(w, s('confirmed', null)), { state: 'confirmed' })
  t.match(confirmOf(w, s('behind', 'router out routes on v1')), {
    state: 'contradicted',
    why: 'router out routes on v1',
  })
  t.match(confirmOf(w, s('unanswered', 'GET ...: no whole answer')), { state: 'contradicted' })
  t.match(confirmOf(w, s('unknown', 'no router in its ...')), { state: 'unconfirmed' })
  // An older namerd (no proxy-status): the sent version stands alone.
  const row = {
    id: 'p',
    stream: 1,
    kind: 'dtab',
    path: '/api/1/dtabs/x?watch=1',
    remote: '10.0.0.1:1',
    since: '2026-01-01T00:00:00.000Z',
    version: 'AAAAAAAAAAE=',
    sentAt: '2026-01-01T00:00:01.000Z',
    current: true,
    sent: 1,
    dropped: 0,
    bufferedBytes: 0,
    admin: '127.0.0.1:1',
  }
  const old = proxyRows([{ namespace: 'x', watchers: [row] }])
  t.match(old.rows[0], { current: true, confirm: null })
  t.match(proxySummary(old), { tone: 'warn' }, 'not sent-and-confirmed: says so')
  const confirmed = proxyRows([
    {
      namespace: 'x',
      watchers: [row],
      proxies: [s('confirmed', null)].map((p) => ({ ...p, admin: '127.0.0.1:1' })),
    },
  ])
  t.match(proxySummary(confirmed), {
    text: '1 watch stream from 1 proxy: all at the current version, each confirmed by its proxy.',
    tone: 'ok',
  })
})

t.test('stream health (drops, backlog) and the filters', async (t) => {
  t.same(streamHealth({ dropped: 0, bufferedBytes: 0 }), {
    text: 'no drops, nothing waiting',
    ok: true,
  })
  t.same(streamHealth({ dropped: 3, bufferedBytes: 2048 }), {
    text: '3 updates dropped, 2.0 KB waiting to be sent',
    ok: false,
  })
  const list = ['internal', 'web', 'Web-2', 'api'].map((namespace) => ({ namespace }))
  t.same(
    filterNamespaces(list, ' WEB ').map((n) => n.namespace),
    ['web', 'Web-2'],
  )
  t.equal(filterNamespaces(list, '').length, 4)
  t.equal(filterNamespaces(list, '<img src=x>').length, 0, 'markup is only text to match')
  const rows = proxyRows([
    {
      namespace: 'web',
      watchers: [
        {
          id: 'proxy-7',
          stream: 1,
          kind: 'dtab',
          path: '/api/1/dtabs/web?watch=1',
          remote: '10.0.0.7:1',
          since: '2026-01-01T00:00:00.000Z',
          version: null,
          sentAt: null,
          current: false,
          sent: 0,
          dropped: 0,
          bufferedBytes: 0,
          admin: '10.0.0.7:9990',
        },
      ],
    },
  ]).rows
  t.equal(filterRows(rows, 'proxy-7').length, 1)
  t.equal(filterRows(rows, '9990').length, 1, 'by admin address')
  t.equal(filterRows(rows, 'nope').length, 0)
})
