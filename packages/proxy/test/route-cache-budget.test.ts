// The routes cache is bounded by size, not only by count, through the real proxy: each
// distinct l5d-dtab makes a route of its own, and one can make a route of thousands of nodes,
// so a client sending a new large one with each request made the proxy hold gigabytes.
import t from 'tap'
import { MAX_CACHED_BYTES, MAX_ROUTE_BYTES } from '../src/route/routes.js'
import { inet, localConfig, recordingBackend, runProxy, send } from './router-helpers.js'

/** `copies` references to a union of `members` distinct names: copies × members leaves. */
function largeUnion(n: number, copies: number, members: number): string {
  const union: string[] = []
  for (let j = 0; j < members; j++) union.push(`/w/${n}/${j}`)
  return `/svc/world => ${Array(copies).fill('/m').join(' & ')}; /m => ${union.join('&')}`
}

async function proxy(t: Parameters<typeof runProxy>[0]) {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(world.port)}; /w => ${inet(world.port)}`),
  )
  const router = p.running.routers[0]!
  const metrics = async () =>
    (await (await fetch(`${p.admin}/admin/metrics.json?q=rt/outgoing/routes`)).json()) as Record<
      string,
      number
    >
  return { p, world, routes: router.routes, metrics }
}

t.test(
  'distinct l5d-dtabs that each make a large union are all served, and the cache stays within its budget',
  async (t) => {
    const { p, world, routes, metrics } = await proxy(t)
    const requests = 40
    let most = 0
    for (let n = 0; n < requests; n++) {
      // 4 × 1,000 leaves: about 4 MB estimated, under the per-route cap, so it is cached.
      const r = await send(p.port, {
        headers: { host: 'world', 'l5d-dtab': largeUnion(n, 4, 1000) },
      })
      t.equal(r.status, 200, `request ${n}`)
      t.equal(r.body, 'world')
      most = Math.max(most, routes.bytes)
      if (routes.bytes > MAX_CACHED_BYTES) t.fail(`${routes.bytes} bytes cached after request ${n}`)
    }
    t.equal(world.seen.length, requests, 'every request reached the backend')
    t.ok(most > MAX_CACHED_BYTES / 2, `the budget was reached (${most} bytes at most)`)
    t.ok(most <= MAX_CACHED_BYTES, 'and never exceeded')
    t.ok(routes.size < requests / 2, `routes were evicted by size (${routes.size} cached)`)
    t.ok(routes.nodes > 0 && routes.nodes <= routes.size * 4100, `${routes.nodes} nodes cached`)
    // The admin reports the same numbers.
    const m = await metrics()
    t.same(m, {
      'rt/outgoing/routes/cached': routes.size,
      'rt/outgoing/routes/cached_nodes': routes.nodes,
      'rt/outgoing/routes/cached_bytes': routes.bytes,
    })
    const prom = await (await fetch(`${p.admin}/admin/metrics/prometheus`)).text()
    t.match(prom, `rt:routes:cached_bytes{rt="outgoing"} ${routes.bytes}\n`)
    t.match(prom, `rt:routes:cached{rt="outgoing"} ${routes.size}\n`)
    // The most recent routes are the ones kept: the last override is a hit, not a new bind.
    const before = routes.bytes
    const again = await send(p.port, {
      headers: { host: 'world', 'l5d-dtab': largeUnion(requests - 1, 4, 1000) },
    })
    t.equal(again.status, 200)
    t.equal(routes.bytes, before, 'the last route was still cached')
  },
)

t.test(
  'a route larger than the per-route cap is served and kept apart, one at a time',
  async (t) => {
    const { p, world, routes } = await proxy(t)
    const small = await send(p.port, { headers: { host: 'world' } })
    t.equal(small.status, 200)
    const cachedBefore = routes.bytes
    for (let n = 0; n < 6; n++) {
      // 10 × 1,000 leaves: about 9 MB estimated, over the 8 MiB cap.
      const r = await send(p.port, {
        headers: { host: 'world', 'l5d-dtab': largeUnion(n, 10, 1000) },
      })
      t.equal(r.status, 200, `request ${n}`)
      const apart = routes.bytes - cachedBefore
      t.ok(apart > MAX_ROUTE_BYTES, `request ${n}: one large route is held (${apart} bytes)`)
      t.ok(apart < 2 * MAX_ROUTE_BYTES, 'and only one')
      t.equal(routes.size, 2, 'the plain route and the large one')
    }
    t.equal(world.seen.length, 7)
    // The plain route was not evicted by the large ones.
    t.equal((await send(p.port, { headers: { host: 'world' } })).status, 200)
    t.equal(routes.size, 2)
  },
)

t.test('refused overrides stay cheap to cache', async (t) => {
  const { p, world, routes } = await proxy(t)
  const requests = 300
  for (let n = 0; n < requests; n++) {
    const r = await send(p.port, {
      headers: {
        host: 'world',
        'l5d-dtab': `/svc/world => /svc/world/a & /svc/world/b; /unused/${n} => /x`,
      },
    })
    t.equal(r.status, 400, `request ${n}`)
  }
  t.equal(world.seen.length, 0, 'nothing was forwarded')
  // Each refused override and the plain route it fell back to check: a node and a key each.
  t.equal(routes.size, requests + 1)
  t.equal(routes.nodes, requests + 1)
  t.ok(routes.bytes / routes.size < 4096, `${routes.bytes / routes.size} bytes per route`)
})
