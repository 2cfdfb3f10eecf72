// The traffic view's judgement: rows in namerd's order with the service's totals, and a
// destination called far from the dtab only when it is: more than 10 points off, over enough
// requests that chance cannot explain it, and not while the window still holds requests routed
// by the previous dtab version. Fixtures are checked by the wire schema namerd's answer is.
import { Traffic, type TrafficService } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { coverage } from '../src/traffic/coverage.js'
import {
  FAR_OFF_MIN_REQUESTS,
  FAR_OFF_POINTS,
  isFarOff,
  judging,
  SETTLE_EXTRA_MS,
  serviceModel,
} from '../src/traffic/model.js'

/** A service with destinations given as [id, expected, requests]; shares and rates derived. */
function service(path: string, dests: [string, number | null, number][]): TrafficService {
  const total = dests.reduce((n, [, , r]) => n + r, 0)
  const traffic = Traffic.parse({
    namespace: 'default',
    version: 'v1',
    at: '2026-12-05T12:00:00.000Z',
    windowSeconds: 10,
    coveredSeconds: 10,
    proxies: { listed: 1, read: 1, problems: [] },
    services: [
      {
        path,
        error: null,
        destinations: dests.map(([id, expectedShare, requests]) => ({
          id,
          expectedShare,
          requests,
          ratePerSec: requests / 10,
          measuredShare: total === 0 ? null : requests / total,
          successRate: requests === 0 ? null : 1,
          p99Ms: requests === 0 ? null : 12,
        })),
      },
    ],
  })
  return traffic.services[0]!
}

t.test('a 90/10 dtab measured 90/10 is not far off; the totals are summed', async (t) => {
  const m = serviceModel(
    service('/svc/world', [
      ['/#/io.l5d.fs/world-v1', 0.9, 900],
      ['/#/io.l5d.fs/world-v2', 0.1, 100],
    ]),
    true,
  )
  t.equal(m.requests, 1000)
  t.equal(m.ratePerSec, 100)
  t.same(
    m.rows.map((r) => r.id),
    ['/#/io.l5d.fs/world-v1', '/#/io.l5d.fs/world-v2'],
    "namerd's order",
  )
  t.same(m.farOff, [])
})

t.test('world-v2 taking half when the dtab asks 10% is far off, by +40 points', async (t) => {
  const m = serviceModel(
    service('/svc/world', [
      ['/#/io.l5d.fs/world-v1', 0.9, 500],
      ['/#/io.l5d.fs/world-v2', 0.1, 500],
    ]),
    true,
  )
  t.same(
    m.farOff.map((r) => r.id),
    ['/#/io.l5d.fs/world-v1', '/#/io.l5d.fs/world-v2'],
  )
  t.ok(Math.abs(m.farOff[1]!.offBy! - 0.4) < 1e-9)
  t.ok(Math.abs(m.farOff[0]!.offBy! + 0.4) < 1e-9)
})

t.test(
  'a tail the dtab no longer names (expected 0) is far off while it takes a share',
  async (t) => {
    const m = serviceModel(
      service('/svc/world', [
        ['/#/io.l5d.fs/world-v2', 1, 60],
        ['/#/io.l5d.fs/world-v1', 0, 40],
      ]),
      true,
    )
    t.same(
      m.farOff.map((r) => r.id),
      ['/#/io.l5d.fs/world-v2', '/#/io.l5d.fs/world-v1'],
    )
  },
)

t.test(
  'not judged: a few requests, a gap of 10 points or less, or a dtab just changed',
  async (t) => {
    const few = service('/svc/world', [
      ['/#/io.l5d.fs/world-v1', 0.5, 20],
      ['/#/io.l5d.fs/world-v2', 0.5, 0],
    ])
    t.same(serviceModel(few, true).farOff, [], `${20} requests is below ${FAR_OFF_MIN_REQUESTS}`)
    const close = service('/svc/world', [
      ['/#/io.l5d.fs/world-v1', 0.9, 8000],
      ['/#/io.l5d.fs/world-v2', 0.1, 2000],
    ])
    t.same(serviceModel(close, true).farOff, [], 'exactly 10 points is not beyond 10')
    const far = service('/svc/world', [
      ['/#/io.l5d.fs/world-v1', 0.9, 0],
      ['/#/io.l5d.fs/world-v2', 0.1, 1000],
    ])
    t.equal(serviceModel(far, true).farOff.length, 2)
    t.same(serviceModel(far, false).farOff, [], 'the window may hold the previous version')
  },
)

t.test('a 50/50 dtab measured 62/38 over 40 requests is chance, over 4000 it is not', async (t) => {
  t.notOk(isFarOff(0.62, 0.5, 40), 'within 3 standard deviations (about 24 points at 40)')
  t.ok(isFarOff(0.62, 0.5, 4000))
})

t.test('a service whose split is unknown (it does not bind) is never judged', async (t) => {
  const s = service('/svc/nowhere', [['/#/io.l5d.fs/world-v1', null, 500]])
  const m = serviceModel({ ...s, error: '/svc/nowhere does not bind' }, true)
  t.same(m.farOff, [])
  t.equal(m.rows[0]!.expected, null)
  t.equal(m.error, '/svc/nowhere does not bind')
})

t.test('no requests: no measured shares, nothing far off', async (t) => {
  const m = serviceModel(
    service('/svc/world', [
      ['/#/io.l5d.fs/world-v1', 0.9, 0],
      ['/#/io.l5d.fs/world-v2', 0.1, 0],
    ]),
    true,
  )
  t.equal(m.requests, 0)
  t.same(
    m.rows.map((r) => r.measured),
    [null, null],
  )
  t.same(m.farOff, [])
})

t.test('far off only past the points and the request count, whatever the shares', async (t) => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 0, max: 1_000_000 }),
      (measured, expected, n) => {
        const far = isFarOff(measured, expected, n)
        if (Math.abs(measured - expected) <= FAR_OFF_POINTS) return !far
        if (n < FAR_OFF_MIN_REQUESTS) return !far
        // Far enough on many requests is always far off.
        if (n >= 10_000) return far
        return true
      },
    ),
  )
  t.notOk(isFarOff(Number.NaN, 0.5, 1000), 'NaN is never far off')
  t.notOk(isFarOff(1, 0, Number.NaN))
})

t.test('rows of any answer keep its ids and order; far-off rows are a subset', async () => {
  const dest = fc.record({
    id: fc.string({ minLength: 1, maxLength: 20 }),
    expected: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    requests: fc.nat(10_000),
  })
  fc.assert(
    fc.property(fc.array(dest, { maxLength: 8 }), fc.boolean(), (ds, judge) => {
      const s = service(
        '/svc/x',
        ds.map((d) => [d.id, d.expected, d.requests]),
      )
      const m = serviceModel(s, judge)
      const ids = m.rows.map((r) => r.id)
      if (JSON.stringify(ids) !== JSON.stringify(ds.map((d) => d.id))) return false
      if (!judge && m.farOff.length > 0) return false
      return m.farOff.every((r) => m.rows.includes(r) && r.offBy !== null)
    }),
  )
})

t.test(
  'judging resumes a window plus a few seconds after the page saw the dtab change',
  async (t) => {
    t.ok(judging(null, 1_000_000, 10), 'no change seen: judged')
    const at = 1_000_000
    t.notOk(judging(at, at + 10_000, 10))
    t.notOk(judging(at, at + 10_000 + SETTLE_EXTRA_MS - 1, 10))
    t.ok(judging(at, at + 10_000 + SETTLE_EXTRA_MS, 10))
  },
)

t.test('whose traffic: nobody listed, nobody read, some read, all read', async (t) => {
  const why = ['proxy p1 (admin 127.0.0.1:9990): connection refused']
  t.same(coverage({ listed: 0, read: 0, problems: why }), { kind: 'none-listed', problems: why })
  t.same(coverage({ listed: 2, read: 0, problems: why }), {
    kind: 'none-read',
    listed: 2,
    problems: why,
  })
  t.same(coverage({ listed: 2, read: 1, problems: why }), {
    kind: 'partial',
    read: 1,
    listed: 2,
    problems: why,
  })
  t.same(coverage({ listed: 2, read: 2, problems: [] }), { kind: 'all', read: 2 })
})
