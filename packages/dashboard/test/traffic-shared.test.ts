// The proxies count requests by destination, so services that reach the same destination show
// the same requests each in full (audit16b M4: /svc/a, /svc/b and /svc/world all reaching world
// read as three times the traffic). The page names, under each, the others it shares with.
import type { TrafficService } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { andList, sharedDestinations } from '../src/traffic/shared.js'

function service(path: string, ids: string[]): TrafficService {
  return {
    path,
    error: null,
    destinations: ids.map((id) => ({
      id,
      expectedShare: null,
      requests: 10,
      ratePerSec: 1,
      measuredShare: null,
      successRate: null,
      p99Ms: null,
    })),
  }
}

const V1 = '/#/io.l5d.fs/world-v1'
const V2 = '/#/io.l5d.fs/world-v2'

t.test('aliases of one service each name the others and the shared destinations', async (t) => {
  const shared = sharedDestinations([
    service('/svc/a', [V1, V2]),
    service('/svc/b', [V1, V2]),
    service('/svc/world', [V1, V2]),
    service('/svc/other', ['/#/io.l5d.fs/other']),
  ])
  t.same(shared.get('/svc/a'), { services: ['/svc/b', '/svc/world'], ids: [V1, V2] })
  t.same(shared.get('/svc/world'), { services: ['/svc/a', '/svc/b'], ids: [V1, V2] })
  t.equal(shared.get('/svc/other'), undefined, 'a service sharing nothing gets no note')
})

t.test('only the destinations in common are named', async (t) => {
  const shared = sharedDestinations([service('/svc/a', [V1, V2]), service('/svc/b', [V2])])
  t.same(shared.get('/svc/a'), { services: ['/svc/b'], ids: [V2] })
  t.same(shared.get('/svc/b'), { services: ['/svc/a'], ids: [V2] })
})

t.test('sharing is symmetric and never names the service itself', async (t) => {
  const id = fc.constantFrom('/#/a', '/#/b', '/#/c', '/#/d')
  const svc = fc.record({
    path: fc.constantFrom('/svc/p', '/svc/q', '/svc/r', '/svc/s', '/svc/t'),
    ids: fc.array(id, { maxLength: 3 }),
  })
  fc.assert(
    fc.property(fc.uniqueArray(svc, { selector: (s) => s.path, maxLength: 5 }), (list) => {
      const services = list.map((s) => service(s.path, s.ids))
      const shared = sharedDestinations(services)
      for (const [path, s] of shared) {
        if (s.services.includes(path)) return false
        for (const other of s.services)
          if (!(shared.get(other)?.services.includes(path) ?? false)) return false
      }
      return true
    }),
  )
  t.pass('symmetric')
})

t.test('lists read as words', async (t) => {
  t.equal(andList(['/svc/a']), '/svc/a')
  t.equal(andList(['/svc/a', '/svc/b']), '/svc/a and /svc/b')
  t.equal(andList(['/svc/a', '/svc/b', '/svc/c']), '/svc/a, /svc/b and /svc/c')
})
