import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { ProxyConfig } from '../src/config/schema.js'
import { backend, deadPort } from './forward-helpers.js'
import { eventually, memoryStore, startNamerd, tempDir } from './interpret-helpers.js'
import { inet, localConfig, recordingBackend, runProxy, send } from './router-helpers.js'

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, body }
}

async function metrics(admin: string, q = ''): Promise<Record<string, number>> {
  const r = await json(`${admin}/admin/metrics.json${q}`)
  return r.body as Record<string, number>
}

/** A proxy routing /svc/world to a live backend and /svc/dead to a closed port. */
async function setup(t: { teardown(fn: () => unknown): void }) {
  const world = await recordingBackend(t, 'world')
  const dead = await deadPort()
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(world.port)}; /svc/dead => ${inet(dead)}`),
  )
  return { world, dead, p }
}

t.test('/admin/ping answers pong', async (t) => {
  const { p } = await setup(t)
  const res = await fetch(`${p.admin}/admin/ping`)
  t.equal(res.status, 200)
  t.equal(await res.text(), 'pong')
})

t.test('/admin/ready is 200 once every router has its dtab', async (t) => {
  const { p } = await setup(t)
  const res = await fetch(`${p.admin}/admin/ready`)
  t.equal(res.status, 200)
  t.equal(await res.text(), 'ready\n')
})

t.test('/admin/ready names why each waiting router has no dtab yet', async (t) => {
  const namerd = await startNamerd(t, memoryStore(t), await tempDir(t))
  // A namerd that answers the watch with a huge text line (as namerd reports an error), then ends.
  const chatty = await backend((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(`oops ${'x'.repeat(100_000)}\nsecond line\n`)
  })
  t.teardown(() => chatty.close())
  const retry = { baseSeconds: 0.05, maxSeconds: 0.2 }
  const router = (label: string, dst: string) => ({
    label,
    interpreter: { kind: 'namerd', dst, namespace: 'internal', retry },
    servers: [{ ip: '127.0.0.1', port: 0 }],
  })
  const dead = `http://127.0.0.1:${await deadPort()}`
  const config = ProxyConfig.parse({
    admin: { ip: '127.0.0.1', port: 0 },
    routers: [
      router('outgoing', namerd.base),
      router('incoming', dead),
      router('other', `http://127.0.0.1:${chatty.port}`),
    ],
  })
  const p = await runProxy(t, config, { waitReady: false })
  const interpreters = p.running.routers.map((r) => r.interpreter)
  await eventually('every router has failed once', () =>
    interpreters.every((i) => i.status.lastError !== undefined),
  )
  const res = await fetch(`${p.admin}/admin/ready`)
  t.equal(res.status, 503)
  const lines = (await res.text()).split('\n')
  t.equal(lines[0], 'waiting for a dtab: outgoing, incoming, other')
  t.equal(lines[1], '  outgoing: namespace "internal" not found at namerd')
  t.equal(
    lines[2],
    `  incoming: namerd at ${dead.slice('http://'.length)}: connect ECONNREFUSED ${dead.slice('http://'.length)}`,
  )
  t.match(lines[3], /^ {2}other: namerd: oops x+\.\.\.$/, 'one line, cut')
  t.ok(lines[3]!.length < 600, `bounded (${lines[3]!.length})`)
  t.equal(lines[4], '')
  t.equal(lines.length, 5)
})

t.test(
  '/admin/metrics.json counts requests per service and per client, failures by status class',
  async (t) => {
    const { world, dead, p } = await setup(t)
    for (let i = 0; i < 3; i++)
      t.equal((await send(p.port, { headers: { host: 'world' } })).status, 200)
    for (let i = 0; i < 2; i++)
      t.equal((await send(p.port, { headers: { host: 'dead' } })).status, 502)
    const svc = 'rt/outgoing/service/svc/world'
    const client = `rt/outgoing/client/$/inet/127.0.0.1/${world.port}`
    const deadSvc = 'rt/outgoing/service/svc/dead'
    const deadClient = `rt/outgoing/client/$/inet/127.0.0.1/${dead}`
    // Counters are written when a request ends, just after its response was sent.
    await eventually('every request is counted', async () => {
      const m = await metrics(p.admin)
      return m[`${svc}/requests`] === 3 && m[`${deadSvc}/requests`] === 2
    })
    const m = await metrics(p.admin)
    t.equal(m[`${svc}/success`], 3)
    t.equal(m[`${svc}/failures`], 0)
    t.equal(m[`${svc}/status/2XX`], 3)
    t.equal(m[`${svc}/pending`], 0)
    t.equal(m[`${svc}/request_latency_ms.count`], 3)
    t.type(m[`${svc}/request_latency_ms.p99`], 'number')
    t.equal(m[`${svc}/retries/total`], 0)
    t.equal(m[`${client}/requests`], 3)
    t.equal(m[`${client}/success`], 3)
    t.equal(m[`${deadSvc}/failures`], 2)
    t.equal(m[`${deadSvc}/status/5XX`], 2, 'the 502s the proxy answered')
    t.equal(m[`${deadClient}/failures`], 2)
    t.equal(m[`${deadClient}/success`], 0)
    const server = Object.keys(m).find((k) =>
      /^rt\/outgoing\/server\/127\.0\.0\.1\/\d+\/requests$/.test(k),
    )
    t.ok(server, 'a server scope named <ip>/<port>')
    t.equal(m[server!], 5)
  },
)

t.test(
  'a request identified but not routed counts as a failure of its service, so a shift to a broken name shows in its success rate',
  async (t) => {
    const { world, p } = await setup(t)
    t.equal((await send(p.port, { headers: { host: 'world' } })).status, 200)
    // '!' fails the name; a path that binds to nothing would fall back to the base entry.
    const broken = { host: 'world', 'l5d-dtab': '/svc/world => !' }
    for (let i = 0; i < 2; i++) t.equal((await send(p.port, { headers: broken })).status, 502)
    t.equal((await send(p.port, { headers: { host: 'nothing' } })).status, 502)
    const svc = 'rt/outgoing/service/svc/world'
    await eventually('every request is counted', async () => {
      const m = await metrics(p.admin)
      return m[`${svc}/requests`] === 3
    })
    const m = await metrics(p.admin)
    t.equal(m[`${svc}/success`], 1)
    t.equal(m[`${svc}/failures`], 2, 'the two unroutable overrides')
    t.equal(m[`${svc}/status/5XX`], 2)
    t.equal(m['rt/outgoing/service/svc/nothing/failures'], 1, 'a name with no route at all')
    t.equal(m[`rt/outgoing/client/$/inet/127.0.0.1/${world.port}/requests`], 1, 'no client')
  },
)

t.test('a request that cannot be identified has no service scope', async (t) => {
  const { p } = await setup(t)
  t.equal((await send(p.port, { headers: { host: undefined } })).status, 400)
  const m = await metrics(p.admin)
  const services = Object.keys(m).filter((k) => k.startsWith('rt/outgoing/service/'))
  t.same(services, [], 'only the server scope counted it')
})

t.test('/admin/metrics.json?q= returns one subtree, or 404 for an unknown one', async (t) => {
  const { p } = await setup(t)
  await send(p.port, { headers: { host: 'world' } })
  await eventually(
    'counted',
    async () => (await metrics(p.admin))['rt/outgoing/service/svc/world/requests'] === 1,
  )
  const sub = await metrics(p.admin, '?q=rt/outgoing/service/svc/world')
  t.ok(Object.keys(sub).length > 0)
  t.ok(
    Object.keys(sub).every((k) => k.startsWith('rt/outgoing/service/svc/world')),
    'only that subtree',
  )
  t.equal(sub['rt/outgoing/service/svc/world/requests'], 1)
  const missing = await json(`${p.admin}/admin/metrics.json?q=rt/outgoing/service/svc/nope`)
  t.equal(missing.status, 404)
  t.same(missing.body, { error: 'No such subtree: rt/outgoing/service/svc/nope' })

  const pretty = await fetch(`${p.admin}/admin/metrics.json?pretty=true`)
  const text = await pretty.text()
  const keys = Object.keys(JSON.parse(text) as object)
  t.same(keys, [...keys].sort(), 'pretty=true sorts the keys')
})

t.test(
  '/admin/metrics/prometheus has Linkerd names, latency buckets and interpreter gauges',
  async (t) => {
    const { world, p } = await setup(t)
    await send(p.port, { headers: { host: 'world' } })
    await send(p.port, { headers: { host: 'world' } })
    await eventually(
      'counted',
      async () => (await metrics(p.admin))['rt/outgoing/service/svc/world/requests'] === 2,
    )
    const res = await fetch(`${p.admin}/admin/metrics/prometheus`)
    t.equal(res.status, 200)
    t.match(res.headers.get('content-type'), /^text\/plain/)
    const text = await res.text()
    t.match(text, 'rt:service:requests{rt="outgoing",service="svc/world"} 2\n')
    t.match(text, 'rt:service:success{rt="outgoing",service="svc/world"} 2\n')
    t.match(text, `rt:client:requests{rt="outgoing",client="$/inet/127.0.0.1/${world.port}"} 2\n`)
    t.match(
      text,
      /rt:service:request_latency_ms_bucket\{rt="outgoing",service="svc\/world",le="1"\} \d+\n/,
    )
    t.match(
      text,
      'rt:service:request_latency_ms_bucket{rt="outgoing",service="svc/world",le="+Inf"} 2\n',
    )
    t.match(text, 'rt:service:request_latency_ms_count{rt="outgoing",service="svc/world"} 2\n')
    t.match(text, 'rt:interpreter:connected{rt="outgoing"} 1\n')
    t.match(text, /rt:interpreter:state_age_seconds\{rt="outgoing"\} [\d.e-]+\n/)
    t.match(text, /rt:server:requests\{rt="outgoing",server="127\.0\.0\.1\/\d+"\} 2\n/)
  },
)

/** Every `path` in a delegate tree (namerd's JSON, §1.4), wherever it nests. */
function paths(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) paths(n, out)
  else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'path' && typeof v === 'string') out.push(v)
      else paths(v, out)
    }
  }
  return out
}

t.test('/delegator.json explains a name through the router dtab plus an extra dtab', async (t) => {
  const { world, p } = await setup(t)
  const get = await json(
    `${p.admin}/delegator.json?path=/svc/world&dtab=${encodeURIComponent('/svc/world=>/srv/v2;/srv=>/$/inet/127.0.0.1/1')}`,
  )
  t.equal(get.status, 200)
  const tree = get.body as { type: string; path: string }
  t.equal(tree.path, '/svc/world')
  t.equal(tree.type, 'alt', 'the extra dentry and the router one, the later first')
  t.ok(paths(tree).includes('/srv/v2'), 'the extra dtab applies')
  t.ok(paths(tree).includes('/$/inet/127.0.0.1/1/v2'), 'through the extra /srv dentry')
  t.ok(paths(tree).includes(inet(world.port)), 'and the router dtab too')

  const plain = await json(`${p.admin}/delegator.json?path=/svc/world&namespace=outgoing`)
  t.equal(plain.status, 200)
  t.ok(paths(plain.body).includes(inet(world.port)))

  const post = await json(`${p.admin}/delegator.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      namespace: 'outgoing',
      path: '/svc/world',
      dtab: '/svc/world=>/srv/v2',
    }),
  })
  t.equal(post.status, 200)
  t.ok(paths(post.body).includes('/srv/v2'), 'POST takes the dashboard body')
})

t.test('/delegator.json refuses bad input with the right status', async (t) => {
  const { p } = await setup(t)
  const badDtab = await json(
    `${p.admin}/delegator.json?path=/svc/world&dtab=${encodeURIComponent('/a=>>')}`,
  )
  t.equal(badDtab.status, 400)
  t.match(badDtab.body, /^Invalid dtab: /)
  const badPath = await json(`${p.admin}/delegator.json?path=no-slash`)
  t.equal(badPath.status, 400)
  t.match(badPath.body, /^Invalid path: /)
  const noPath = await json(`${p.admin}/delegator.json`)
  t.equal(noPath.status, 400)
  t.match(noPath.body, /^Malformed delegation request: /)
  const unknown = await json(`${p.admin}/delegator.json?path=/svc/world&namespace=nope`)
  t.equal(unknown.status, 404)
  t.match(unknown.body, 'No router "nope"; routers: outgoing')
  const post = (type: string, body: string) =>
    json(`${p.admin}/delegator.json`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    })
  const text = await post('text/plain', 'path=/svc/world')
  t.equal(text.status, 415)
  t.equal(text.body, 'Content-Type must be application/json, not text/plain\n')
  const form = await post('application/x-www-form-urlencoded', 'path=/svc/world')
  t.equal(form.status, 415)
  t.match(form.body, /^Content-Type must be application\/json, not application\/x-www-form/)
  const notJson = await post('application/json', '{"path": ')
  t.equal(notJson.status, 400)
  t.match(notJson.body, /^Malformed delegation request: the body is not JSON/)
  const malformed = await post('application/json', JSON.stringify({ namespace: 'outgoing' }))
  t.equal(malformed.status, 400)
  t.match(malformed.body, /^Malformed delegation request: path: /)
})

t.test(
  '/admin/routers.json shows each router label, servers, dtab, version and state',
  async (t) => {
    const { world, p } = await setup(t)
    const r = await json(`${p.admin}/admin/routers.json`)
    t.equal(r.status, 200)
    t.match(r.body, [
      {
        label: 'outgoing',
        dstPrefix: '/svc',
        servers: [`127.0.0.1:${p.port}`],
        interpreter: { kind: 'local', connected: true },
        dtab: `/svc/world=>${inet(world.port)};/svc/dead=>/$/inet/127.0.0.1/${/\d+/.source}`.split(
          ';',
        )[0],
        version: '1',
      },
    ])
    const body = r.body as { dtab: string; stateAgeSeconds: number }[]
    t.match(
      body[0]?.dtab,
      new RegExp(`^/svc/world=>/\\$/inet/127\\.0\\.0\\.1/${world.port};/svc/dead=>`),
    )
    t.type(body[0]?.stateAgeSeconds, 'number')
  },
)

t.test('httpAccessLog writes one combined-format line per request', async (t) => {
  const dir = await tempDir(t)
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(world.port)}`, { httpAccessLog: 'logs/access.log' }),
    { baseDir: dir },
  )
  await send(p.port, { path: '/one', headers: { host: 'world', 'user-agent': 'tap-test' } })
  await send(p.port, { path: '/two?x=1', headers: { host: 'nowhere', referer: 'http://r/' } })
  const file = join(dir, 'logs', 'access.log')
  let lines: string[] = []
  await eventually('two lines are written', async () => {
    lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '')
    return lines.length === 2
  })
  const clf =
    /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "(\S+) (\S+) HTTP\/1\.1" (\d{3}) (\S+) ("[^"]*"|"-") ("[^"]*"|"-") [\d.]+$/
  t.match(lines[0], clf)
  t.match(lines[0], /"GET \/one HTTP\/1\.1" 200 5 "-" "tap-test"/)
  t.match(lines[1], clf)
  t.match(lines[1], '"GET /two?x=1 HTTP/1.1" 502 ')
  t.match(lines[1], '"http://r/" "-"')
})
