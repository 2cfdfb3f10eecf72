// windowDelta: exact per-window counts from the proxies' snapshot rings, across restarts,
// proxies that come and go, and counters that (should not, but do) go down.
import { LATENCY_BOUNDS_MS, type ProxySnapshot } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { type ProxyRing, stripTransformer, windowDelta } from '../src/rollouts/sources/delta.js'

const V1 = '/#/io.l5d.fs/world-v1'
const V2 = '/#/io.l5d.fs/world-v2'
const ids = { from: [V1], to: [V2] }
const T0 = Date.parse('2025-01-01T00:00:00Z')
const at = (s: number) => new Date(T0 + s * 1000)
const N = LATENCY_BOUNDS_MS.length + 1

/** A client with `requests`, `failures` of them failing, all in the bucket at `bucket`. */
function client(requests: number, failures = 0, bucket = 3) {
  const buckets = new Array<number>(N).fill(0)
  buckets[bucket] = requests
  return { requests, success: requests - failures, failures, buckets }
}

function snap(
  instance: string,
  startedS: number,
  clients: Record<string, ReturnType<typeof client>>,
): ProxySnapshot {
  return {
    instance,
    startedAt: at(startedS).toISOString(),
    at: at(0).toISOString(),
    bounds: [...LATENCY_BOUNDS_MS],
    clients,
  }
}

const ring = (admin: string, ...samples: [number, ProxySnapshot][]): ProxyRing => ({
  admin,
  samples: samples.map(([s, snapshot]) => ({ at: at(s), snapshot })),
})

t.test('the table', async (t) => {
  const rows: [
    string,
    ProxyRing[],
    number,
    number,
    { v1: number; v2: number; v2fail?: number; proxies: number },
  ][] = [
    [
      'last minus the first at or after the start, never an older one',
      [
        ring(
          'a:1',
          [0, snap('A', -100, { [V1]: client(10), [V2]: client(5) })],
          [5, snap('A', -100, { [V1]: client(20), [V2]: client(8) })],
          [10, snap('A', -100, { [V1]: client(50), [V2]: client(18, 2) })],
          [15, snap('A', -100, { [V1]: client(90), [V2]: client(40, 5) })],
        ),
      ],
      6,
      15,
      { v1: 40, v2: 22, v2fail: 3, proxies: 1 },
    ],
    [
      'traffic between the last snapshot before the start and the start is not counted (smoke)',
      [
        ring(
          'a:1',
          [0, snap('A', -100, { [V2]: client(0) })],
          // 30 smoke requests end at 4.9 s; the step's window starts at 5 s.
          [6, snap('A', -100, { [V2]: client(30) })],
          [10, snap('A', -100, { [V2]: client(32) })],
        ),
      ],
      5,
      10,
      { v1: 0, v2: 2, proxies: 1 },
    ],
    [
      'a window with no snapshot after its start yet counts nothing',
      [
        ring(
          'a:1',
          [0, snap('A', -100, { [V2]: client(0) })],
          [4, snap('A', -100, { [V2]: client(30) })],
          [6, snap('A', -100, { [V2]: client(30) })],
        ),
      ],
      5,
      10,
      { v1: 0, v2: 0, proxies: 1 },
    ],
    [
      'a proxy that restarted inside the window: the old instance up to its last, the new from zero',
      [
        ring(
          'a:1',
          [0, snap('A', -100, { [V2]: client(100) })],
          [4, snap('A', -100, { [V2]: client(130) })],
          [8, snap('B', 6, { [V2]: client(7) })],
        ),
      ],
      0,
      10,
      { v1: 0, v2: 37, proxies: 1 },
    ],
    [
      'a proxy first seen after the start, running since before it, counts from its first snapshot',
      [
        ring(
          'a:1',
          [5, snap('A', -100, { [V2]: client(100) })],
          [9, snap('A', -100, { [V2]: client(125) })],
        ),
      ],
      1,
      10,
      { v1: 0, v2: 25, proxies: 1 },
    ],
    [
      'a proxy that stopped watching counts up to its last snapshot',
      [
        ring(
          'a:1',
          [0, snap('A', -1, { [V2]: client(10) })],
          [3, snap('A', -1, { [V2]: client(14) })],
        ),
        ring(
          'b:1',
          [0, snap('B', -1, { [V2]: client(0) })],
          [9, snap('B', -1, { [V2]: client(6) })],
        ),
      ],
      0,
      10,
      { v1: 0, v2: 10, proxies: 2 },
    ],
    [
      'snapshots after the end are not read',
      [
        ring(
          'a:1',
          [0, snap('A', -1, { [V2]: client(0) })],
          [5, snap('A', -1, { [V2]: client(5) })],
          [20, snap('A', -1, { [V2]: client(500) })],
        ),
      ],
      0,
      10,
      { v1: 0, v2: 5, proxies: 1 },
    ],
    [
      'a proxy with nothing inside the window is not counted',
      [ring('a:1', [0, snap('A', -1, { [V2]: client(10) })])],
      1,
      10,
      { v1: 0, v2: 0, proxies: 0 },
    ],
    [
      'a counter that went down counts as reset',
      [
        ring(
          'a:1',
          [0, snap('A', -1, { [V2]: client(100) })],
          [5, snap('A', -1, { [V2]: client(4) })],
        ),
      ],
      0,
      10,
      { v1: 0, v2: 4, proxies: 1 },
    ],
    [
      "a transformer's prefix is stripped; other clients are not counted",
      [
        ring(
          'a:1',
          [0, snap('A', -1, {})],
          [
            5,
            snap('A', -1, {
              [`/%/io.l5d.port/4141${V2}`]: client(3),
              '/#/io.l5d.fs/other': client(99),
            }),
          ],
        ),
      ],
      0,
      10,
      { v1: 0, v2: 3, proxies: 1 },
    ],
  ]
  for (const [name, rings, s, e, want] of rows) {
    const r = windowDelta(rings, ids, at(s), at(e))
    t.equal(r.from.requests, want.v1, `${name}: v1`)
    t.equal(r.to.requests, want.v2, `${name}: v2`)
    t.equal(r.to.failures, want.v2fail ?? 0, `${name}: v2 failures`)
    t.equal(r.proxies, want.proxies, `${name}: proxies`)
  }
})

t.test('buckets are summed over proxies, then p99 interpolated', async (t) => {
  const slow = client(100, 0, 8) // 250..500 ms
  const fast = client(900, 0, 2) // 2..5 ms
  const r = windowDelta(
    [
      ring('a:1', [0, snap('A', -1, {})], [5, snap('A', -1, { [V2]: slow })]),
      ring('b:1', [0, snap('B', -1, {})], [5, snap('B', -1, { [V2]: fast })]),
    ],
    ids,
    at(0),
    at(10),
  )
  t.equal(r.to.requests, 1000)
  t.equal(r.to.successRate, 1)
  t.equal(r.to.p99Ms, 250 + (250 * (990 - 900)) / 100)
  t.equal(r.to.ratePerSec, 200, 'over the 5 s the snapshots cover, not the 10 s asked')
  t.equal(r.from.p99Ms, null, 'no requests: no p99')
  t.equal(r.from.successRate, null)
  t.same(r.at, at(5), 'the last snapshot read')
})

t.test('the rate is over the time the snapshots cover', async (t) => {
  const r = windowDelta(
    [
      ring(
        'a:1',
        [2, snap('A', -1, { [V2]: client(0) })],
        [7, snap('A', -1, { [V2]: client(50) })],
      ),
    ],
    ids,
    at(1),
    at(10),
  )
  t.equal(r.to.requests, 50)
  t.equal(r.to.ratePerSec, 10, '50 requests over 2 s..7 s')
  const one = windowDelta(
    [ring('a:1', [2, snap('A', -1, { [V2]: client(9) })])],
    ids,
    at(1),
    at(10),
  )
  t.equal(one.to.ratePerSec, 0, 'one snapshot covers no time')
})

t.test('stripTransformer', async (t) => {
  t.equal(
    stripTransformer('/%/io.l5d.k8s.daemonset/default/incoming/l5d/#/io.l5d.k8s/ns/http/x'),
    '/#/io.l5d.k8s/ns/http/x',
  )
  t.equal(stripTransformer(V2), V2)
  t.equal(stripTransformer('/$/inet/127.0.0.1/80'), '/$/inet/127.0.0.1/80')
})

t.test('never negative, whatever the ring holds', async (t) => {
  const sample = fc.record({
    s: fc.integer({ min: 0, max: 30 }),
    instance: fc.constantFrom('A', 'B', 'C'),
    started: fc.integer({ min: -10, max: 30 }),
    requests: fc.nat(1000),
    failPart: fc.nat(1000),
    bucket: fc.integer({ min: 0, max: N - 1 }),
  })
  fc.assert(
    fc.property(
      fc.array(fc.array(sample, { maxLength: 12 }), { maxLength: 4 }),
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 0, max: 30 }),
      (proxies, a, b) => {
        const rings = proxies.map((samples, i) =>
          ring(
            `p${i}:1`,
            ...samples
              .sort((x, y) => x.s - y.s)
              .map((x): [number, ProxySnapshot] => [
                x.s,
                snap(x.instance, x.started, {
                  [V2]: client(x.requests, Math.min(x.failPart, x.requests), x.bucket),
                }),
              ]),
          ),
        )
        const r = windowDelta(rings, ids, at(Math.min(a, b)), at(Math.max(a, b)))
        return (
          r.to.requests >= 0 &&
          r.to.successes >= 0 &&
          r.to.failures >= 0 &&
          r.to.successes + r.to.failures === r.to.requests &&
          (r.to.p99Ms === null || r.to.p99Ms >= 0)
        )
      },
    ),
  )
  t.pass('held for every generated case')
})

t.test('one instance counting up: the window sees exactly what it added', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(50), { minLength: 2, maxLength: 20 }),
      fc.nat(19),
      fc.nat(19),
      (adds, i, j) => {
        const [lo, hi] = [Math.min(i, j) % adds.length, Math.max(i, j) % adds.length].sort(
          (x, y) => x - y,
        ) as [number, number]
        let total = 0
        const samples = adds.map((n, k): [number, ProxySnapshot] => {
          total += n
          return [k, snap('A', -1, { [V2]: client(total) })]
        })
        const r = windowDelta([ring('a:1', ...samples)], ids, at(lo), at(hi))
        const want = adds.slice(lo + 1, hi + 1).reduce((x, y) => x + y, 0)
        return r.to.requests === want
      },
    ),
  )
  t.pass('held for every generated case')
})
