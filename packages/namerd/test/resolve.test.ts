// Where names go, answered once: bind, addr, resolve, delegate and bound-names, with the
// namespace's dtab from the store, the io.l5d.fs namer and /$/inet, in namerd's exact JSON.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bound, NameTree, Path } from '@switchyard/dtab'
import { Addr, type MountedAddrNamer, mountNamers, Var } from '@switchyard/namers'
import t from 'tap'
import { startServer, tempDir } from './helpers.js'

const v1 = '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}}],"meta":{}}'
const v2 =
  '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":9090,"meta":{"endpoint_addr_weight":2.0}}],"meta":{}}'

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'world-v1'), '127.0.0.1 8080\n')
  await writeFile(join(dir, 'world-v2'), '127.0.0.1 9090 * 2\n')
  const namers = await mountNamers([{ kind: 'io.l5d.fs', rootDir: dir }])
  t.teardown(() => namers.close())
  const app = await startServer(t, { namers: namers.namers })
  const res = await fetch(`${app.base}/api/1/dtabs/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: `/srv => /#/io.l5d.fs; /host => /srv; /svc => /host;
           /host/world => 1 * /srv/world-v2 & 9 * /srv/world-v1; /host/fallback => /srv/nope | /srv/world-v1`,
  })
  if (res.status !== 204) throw new Error(`setup: ${res.status} ${await res.text()}`)
  const get = async (path: string) => {
    const r = await fetch(`${app.base}/api/1/${path}`)
    return { status: r.status, type: r.headers.get('content-type'), body: await r.text() }
  }
  return { ...app, get }
}

t.test('bind: the bound tree with addrs, as namerd writes it', async (t) => {
  const { get } = await setup(t)
  let r = await get('bind/internal?path=/svc/world')
  t.equal(r.status, 200)
  t.equal(r.type, 'application/json')
  t.equal(
    r.body,
    `{"type":"union","union":[` +
      `{"weight":1.0,"tree":{"type":"leaf","bound":{"addr":${v2},"id":"/#/io.l5d.fs/world-v2","path":"/"}}},` +
      `{"weight":9.0,"tree":{"type":"leaf","bound":{"addr":${v1},"id":"/#/io.l5d.fs/world-v1","path":"/"}}}]}\n`,
  )
  r = await get('bind/internal?path=/svc/fallback/api')
  t.equal(
    r.body,
    `{"type":"leaf","bound":{"addr":${v1},"id":"/#/io.l5d.fs/world-v1","path":"/api"}}\n`,
    'alt falls through',
  )
  r = await get('bind/internal?path=/svc/nothing')
  t.equal(r.body, '{"type":"neg"}\n')
  r = await get('bind/internal?path=/svc/world&dtab=/host/world=>/srv/world-v2')
  t.equal(
    r.body,
    `{"type":"leaf","bound":{"addr":${v2},"id":"/#/io.l5d.fs/world-v2","path":"/"}}\n`,
    'the extra dtab wins',
  )
  r = await get('bind/absent?path=/x&dtab=/x=>/$/inet/127.0.0.1/7')
  t.match(r.body, /"id":"\/\$\/inet\/127\.0\.0\.1\/7"/, 'a missing namespace has the empty dtab')
  r = await get('bind/internal?path=/x&dtab=/x=>/$/nosuch')
  t.equal(r.status, 500)
  t.same(JSON.parse(r.body), {
    error: 'bind_failed',
    message: 'Unknown namer: nosuch for path: /$/nosuch',
  })
  r = await get('bind/internal?path=/x&dtab=/x=>>/y')
  t.equal(r.status, 400)
  t.same(JSON.parse(r.body), {
    error: 'invalid_dtab',
    message: "Invalid dtab: simple expected but '>' found at '/x=>[>]/y'",
    offset: 4,
  })
  r = await get('bind/internal')
  t.equal(r.status, 400, 'no path')
  t.equal((await get('bind?path=/a')).status, 404, 'no namespace')
})

t.test('resolve: the addr of one leaf drawn from the tree', async (t) => {
  const { get } = await setup(t)
  // v2 has weight 1 in 10: 40 draws missed it 1.5% of the time. Drawing until both are seen,
  // up to 400 times, misses it with a chance of 0.9^400 (about 1e-18).
  const seen = new Set<string>()
  for (let i = 0; i < 400 && seen.size < 2; i++) {
    seen.add((await get('resolve/internal?path=/svc/world')).body)
  }
  t.same([...seen].sort(), [`${v1}\n`, `${v2}\n`].sort(), 'both versions are drawn')
  const r = await get('resolve/internal?path=/svc/nothing')
  t.equal(r.type, 'application/json')
  t.equal(r.body, '{"type":"neg"}\n')
})

t.test('addr: the live addr of a bound id, transformer prefix stripped', async (t) => {
  const { get } = await setup(t)
  t.equal((await get('addr/internal?path=/%23/io.l5d.fs/world-v1')).body, `${v1}\n`)
  t.equal(
    (
      await get(
        'addr/internal?path=/%25/io.l5d.k8s.daemonset/default/incoming/l5d/%23/io.l5d.fs/world-v1',
      )
    ).body,
    `${v1}\n`,
  )
  t.equal(
    (await get('addr/internal?path=/$/inet/127.0.0.1/1')).body,
    '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":1,"meta":{}}],"meta":{}}\n',
  )
  t.equal((await get('addr/internal?path=/%23/io.l5d.fs/nope')).body, '{"type":"neg"}\n')
})

t.test('delegate: every step, with addrs; the no-namespace forms', async (t) => {
  const { get, base } = await setup(t)
  let r = await get('delegate/internal?path=/svc/fallback')
  t.equal(r.type, 'application/json')
  t.equal(
    r.body,
    '{"type":"delegate","path":"/svc/fallback","delegate":{"type":"alt","path":"/host/fallback","dentry":{"prefix":"/svc","dst":"/host"},"alt":[' +
      '{"type":"delegate","path":"/srv/nope","dentry":{"prefix":"/host/fallback","dst":"/srv/nope | /srv/world-v1"},' +
      '"delegate":{"type":"neg","path":"/#/io.l5d.fs/nope","dentry":{"prefix":"/srv","dst":"/#/io.l5d.fs"}}},' +
      '{"type":"delegate","path":"/srv/world-v1","dentry":{"prefix":"/host/fallback","dst":"/srv/nope | /srv/world-v1"},' +
      `"delegate":{"type":"leaf","path":"/#/io.l5d.fs/world-v1","dentry":{"prefix":"/srv","dst":"/#/io.l5d.fs"},"bound":{"addr":${v1},"id":"/#/io.l5d.fs/world-v1","path":"/"}}},` +
      '{"type":"delegate","path":"/srv/fallback","dentry":{"prefix":"/host","dst":"/srv"},' +
      '"delegate":{"type":"neg","path":"/#/io.l5d.fs/fallback","dentry":{"prefix":"/srv","dst":"/#/io.l5d.fs"}}}]}}',
    'the later /host/fallback dentry first, then /host; each branch to its end',
  )
  r = await get('delegate/internal?path=/svc/world')
  t.match(r.body, '"union":[{"weight":1.0,"tree":{"type":"delegate","path":"/srv/world-v2"')
  t.match(r.body, `"bound":{"addr":${v2}`, 'weights in addr metadata are Java doubles')

  r = await get(
    'delegate?namespace=internal&path=/host/world-v1&dtab=/host/world-v1=>/srv/world-v2',
  )
  t.match(r.body, /^\{"type":"alt","path":"\/host\/world-v1"/, 'GET with a namespace adds its dtab')
  const post = await fetch(`${base}/api/1/delegate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ namespace: null, dtab: '/a=>/$/inet/127.0.0.1/2', path: '/a' }),
  })
  t.equal(
    await post.text(),
    '{"type":"delegate","path":"/a","delegate":{"type":"leaf","path":"/$/inet/127.0.0.1/2","dentry":{"prefix":"/a","dst":"/$/inet/127.0.0.1/2"},' +
      '"bound":{"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":2,"meta":{}}],"meta":{}},"id":"/$/inet/127.0.0.1/2","path":"/"}}}',
  )
  r = await get('delegate?path=/a&dtab=/a=>>/b')
  t.equal(r.status, 400)
  t.equal(r.body, "Invalid dtab: simple expected but '>' found at '/a=>[>]/b'")
  r = await get('delegate?path=a')
  t.equal(r.body, "Invalid path: a / '/' expected but 'a' found at '[a]'")
  const unsupported = await fetch(`${base}/api/1/delegate`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: '{}',
  })
  t.equal(unsupported.status, 415)
})

t.test(
  'an addr that stays pending: delegate is 503 Request timed out., bind a 503 too',
  async (t) => {
    // A namer whose names never resolve.
    const slow: MountedAddrNamer = {
      prefix: Path.read('/#/slow'),
      namer: {
        lookup: (path) => NameTree.leaf(bound(Path.concat(Path.read('/#/slow'), path))),
        addr: () => Var.value<Addr>(Addr.pending),
      },
    }
    const { base } = await startServer(t, {
      namers: [slow],
      limits: { delegateTimeoutMs: 100, resolveTimeoutMs: 100 },
    })
    let r = await fetch(`${base}/api/1/delegate/web?path=/a&dtab=/a=>/%23/slow/x`)
    t.equal(r.status, 503)
    t.equal(await r.text(), 'Request timed out.')
    r = await fetch(`${base}/api/1/bind/web?path=/a&dtab=/a=>/%23/slow/x`)
    t.equal(r.status, 503)
    t.match(await r.json(), { error: 'timeout' })
  },
)

t.test('bound-names: what the enumerating namers know', async (t) => {
  const { get } = await setup(t)
  const r = await get('bound-names')
  t.equal(r.type, 'application/json')
  t.equal(r.body, '["/#/io.l5d.fs/world-v1","/#/io.l5d.fs/world-v2"]\n')
  const { base } = await startServer(t)
  t.equal(
    await (await fetch(`${base}/api/1/bound-names`)).text(),
    '[""]\n',
    "namerd's rendering of the empty set",
  )
})
