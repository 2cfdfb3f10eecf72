// What the API server sends is a boundary: objects that do not have the expected shape count
// for nothing (a slice) or fail the name with the reason (a Service), and never stop the watch.
import t from 'tap'
import { Addr } from '../src/addr.js'
import { eventually } from './helpers.js'
import { openNamer, service, slice, startApi, until, WEB, watch } from './k8s-helpers.js'

t.test('a malformed slice counts for nothing; the others still do', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  api.put({ ...slice('web-bad', 'web', ['10.0.0.66']), endpoints: 'all of them' })
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  await until(web, 'Bound(10.0.0.1:8080)')
  t.match(namer.state().watches[0], { malformedSlices: ['web-bad'], slices: 1 })
  // Fixed, it counts again; broken again, it stops counting.
  api.put(slice('web-bad', 'web', ['10.0.0.2']))
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.2:8080)')
  t.same(namer.state().watches[0]?.malformedSlices, [])
  api.put({ ...slice('web-bad', 'web', ['10.0.0.2']), ports: [{ name: 'http', port: 'eighty' }] })
  await until(web, 'Bound(10.0.0.1:8080)')
})

t.test('a malformed Service fails its names with the reason', async (t) => {
  const api = await startApi(t)
  api.put({ ...service('web', []), spec: { ports: 'http' } })
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  const malformed = /^Failed\(the API server's Service default\/web is malformed at spec\.ports/
  await eventually('the name fails', () => malformed.test(Addr.show(web.sample())), 5000)
  api.put(WEB)
  await until(web, 'Bound(10.0.0.1:8080)')
  // Malformed again, through the watch this time.
  api.put({ ...service('web', []), spec: { ports: [{ name: 'http', port: 'eighty' }] } })
  await eventually('the name fails again', () => malformed.test(Addr.show(web.sample())), 5000)
})

t.test('a large Service: 2,000 endpoints in 20 slices, with duplicates between them', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  for (let s = 0; s < 20; s++) {
    // Each slice also repeats the first endpoint of the next one.
    const ips = Array.from({ length: 101 }, (_, i) => {
      const n = s * 100 + i
      return `10.${Math.floor(n / 256) % 256}.${n % 256}.1`
    })
    api.put(slice(`web-${String(s).padStart(2, '0')}`, 'web', ips))
  }
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  const start = Date.now()
  while (web.sample().type !== 'bound' && Date.now() - start < 10_000) {
    await new Promise((r) => setTimeout(r, 20))
  }
  const a = web.sample()
  t.equal(a.type === 'bound' ? a.addrs.length : -1, 2001)
  t.ok(Addr.equals(a, web.sample()))
})

t.test(
  'RBAC that does not allow the watch: the name fails saying which grant is missing',
  async (t) => {
    const api = await startApi(t)
    api.put(WEB)
    api.put(slice('web-a', 'web', ['10.0.0.1']))
    api.forbid({ verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io' })
    const namer = await openNamer(t, api, { backoff: { initialMs: 20, maxMs: 100 } })
    const web = watch(t, namer, '/default/http/web')
    await eventually(
      'the name fails',
      () =>
        /forbidden: cannot list endpointslices\.discovery\.k8s\.io/.test(Addr.show(web.sample())),
      5000,
    )
    api.allowAll()
    await until(web, 'Bound(10.0.0.1:8080)')
  },
)
