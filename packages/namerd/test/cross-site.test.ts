// Writes a browser sends from another site's page are refused (403, nothing written); the
// dashboard's own (same origin) and programs' (no Origin, no Sec-Fetch-Site) go through.
import t from 'tap'
import { startServer } from './helpers.js'

const post = (base: string, ns: string, headers: Record<string, string>) =>
  fetch(`${base}/api/1/dtabs/${ns}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...headers },
    body: '/svc => /$/inet/127.0.0.1/1',
  })

t.test("a write from another site's page is refused and writes nothing", async (t) => {
  const { base, store } = await startServer(t)
  const host = new URL(base).host
  const refused: [string, Record<string, string>][] = [
    ['a cross-site fetch', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
    [
      'another port of the same host',
      { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:1' },
    ],
    ['an old browser giving Origin only', { origin: 'https://evil.example' }],
    ['a sandboxed page (Origin: null)', { origin: 'null' }],
    ['an Origin that is not a URL', { origin: 'not a url' }],
  ]
  for (const [what, headers] of refused) {
    const res = await post(base, 'evil', headers)
    t.equal(res.status, 403, what)
    const body = (await res.json()) as { error: string; message: string }
    t.equal(body.error, 'cross_site_request', what)
    t.match(body.message, /another site's page.*nothing was written/, what)
  }
  t.equal(await store.get('evil'), null, 'nothing was created')
  const action = await fetch(`${base}/api/1/rollouts/x/y/abort`, {
    method: 'POST',
    headers: { origin: 'https://evil.example' },
  })
  t.equal(action.status, 403, 'nor is a rollout steered')

  const ok: [string, string, Record<string, string>][] = [
    ['namerctl or curl (no Origin)', 'a', {}],
    ['the dashboard (same origin)', 'b', { 'sec-fetch-site': 'same-origin', origin: base }],
    ['an old browser on the same origin', 'c', { origin: base }],
    ['typed in the address bar', 'd', { 'sec-fetch-site': 'none' }],
  ]
  for (const [what, ns, headers] of ok) t.equal((await post(base, ns, headers)).status, 204, what)
  t.equal(
    (await post(base, 'e', { origin: `https://${host}` })).status,
    204,
    'https page, same host',
  )

  const read = await fetch(`${base}/api/1/dtabs`, { headers: { origin: 'https://evil.example' } })
  t.equal(read.status, 200, 'reads are not refused (a cross-site page cannot read the answer)')
  t.notOk(read.headers.get('access-control-allow-origin'), 'and no CORS header lets it')
})
