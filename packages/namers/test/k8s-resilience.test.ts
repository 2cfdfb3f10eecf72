// The io.l5d.k8s namer when the API server misbehaves: watches it ends or drops, history it
// forgets (410), and the server away for a while. The last good set stays meanwhile.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { openNamer, shown, slice, startApi, until, WEB, watch } from './k8s-helpers.js'

t.test('a watch the server ends, or a connection it drops, is resumed without loss', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  await until(web, 'Bound(10.0.0.1:8080)')

  api.endWatches()
  api.put(slice('web-a', 'web', ['10.0.0.1', '10.0.0.2']))
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.2:8080)')

  api.severWatches()
  api.put(slice('web-a', 'web', ['10.0.0.2']))
  await until(web, 'Bound(10.0.0.2:8080)')
  const state = namer.state().watches[0]
  t.equal(state?.stale, undefined, 'not stale')
})

t.test('a watch whose history is gone (410) lists again and catches up', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  api.put(slice('web-b', 'web', ['10.0.0.5']))
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.5:8080)')

  // Changes the namer does not see (its watches are cut), then the history is forgotten:
  // the re-watch from its last resourceVersion gets ERROR 410, and only a new list tells.
  await api.down()
  api.put(slice('web-a', 'web', ['10.0.0.1', '10.0.0.3']))
  api.remove({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    namespace: 'default',
    name: 'web-b',
  })
  api.compact()
  await api.up()
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.3:8080)', 15_000)
  const requests = api.requests.filter((r) => r.path.endsWith('/endpointslices'))
  t.ok(requests.filter((r) => r.query.watch === undefined).length >= 2, 'listed again')
})

t.test('an ERROR 410 inside a live stream is followed by a new list', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  await until(web, 'Bound(10.0.0.1:8080)')
  api.compact()
  api.endWatches() // the re-watch from the old resourceVersion is too old now
  api.put(slice('web-a', 'web', ['10.0.0.4']))
  await until(web, 'Bound(10.0.0.4:8080)', 15_000)
})

t.test(
  'while the API server is away the last good set stays, marked stale; then it catches up',
  async (t) => {
    const api = await startApi(t)
    api.put(WEB)
    api.put(slice('web-a', 'web', ['10.0.0.1', '10.0.0.2']))
    const namer = await openNamer(t, api)
    const web = watch(t, namer, '/default/http/web')
    await until(web, 'Bound(10.0.0.1:8080, 10.0.0.2:8080)')

    await api.down()
    const stale = async () => {
      const start = Date.now()
      while (namer.state().watches[0]?.stale === undefined) {
        if (Date.now() - start > 15_000) throw new Error('never marked stale')
        await sleep(20)
      }
    }
    await stale()
    t.equal(shown(web), 'Bound(10.0.0.1:8080, 10.0.0.2:8080)', 'the last good set')
    t.match(namer.state().watches[0]?.stale, /./, 'the state says why')

    api.put(slice('web-a', 'web', ['10.0.0.2', '10.0.0.3']))
    await api.up()
    await until(web, 'Bound(10.0.0.2:8080, 10.0.0.3:8080)', 30_000)
    const start = Date.now()
    while (namer.state().watches[0]?.stale !== undefined && Date.now() - start < 15_000)
      await sleep(20)
    t.equal(namer.state().watches[0]?.stale, undefined, 'current again')
  },
)

t.test('an API server that cannot be reached at first fails the name, then binds', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  await api.down()
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  const start = Date.now()
  while (web.sample().type !== 'failed' && Date.now() - start < 15_000) await sleep(20)
  t.match(web.sample(), { type: 'failed', cause: /unreachable|ECONNREFUSED/ })
  await api.up()
  await until(web, 'Bound(10.0.0.1:8080)', 30_000)
})
