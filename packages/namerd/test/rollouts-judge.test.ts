// judge: the verdict on one window; only `to` is judged, a fail needs minRequests first.
import type { Thresholds, VersionStats } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { judge } from '../src/rollouts/sources/judge.js'
import type { WindowReading } from '../src/rollouts/sources/source.js'

function stats(requests: number, successes: number, p99Ms: number | null): VersionStats {
  return {
    ids: ['/#/io.l5d.fs/x'],
    requests,
    successes,
    failures: requests - successes,
    successRate: requests === 0 ? null : successes / requests,
    p99Ms,
    ratePerSec: requests,
  }
}
const reading = (to: VersionStats, from = stats(1000, 1000, 5)): WindowReading => ({
  from,
  to,
  proxies: 1,
  at: new Date(0),
})
const th: Thresholds = { minSuccessRate: 0.99, maxP99Ms: 300, minRequests: 100 }

t.test('the table', async (t) => {
  const rows: [string, VersionStats, boolean, ReturnType<typeof judge>][] = [
    ['no traffic is insufficient', stats(0, 0, null), false, { verdict: 'insufficient' }],
    [
      '99 of 100 needed is insufficient even if all fail',
      stats(99, 0, 9000),
      true,
      { verdict: 'insufficient' },
    ],
    ['healthy before the end continues', stats(412, 412, 20), false, { verdict: 'continue' }],
    ['healthy at the end passes', stats(412, 412, 20), true, { verdict: 'pass' }],
    ['exactly the minimum rate passes', stats(100, 99, 20), true, { verdict: 'pass' }],
    [
      'a low success rate fails before the end',
      stats(412, 329, 20),
      false,
      {
        verdict: 'fail',
        metric: 'success-rate',
        value: 329 / 412,
        threshold: 0.99,
        detail: 'success rate 79.9% < 99% (412 requests)',
      },
    ],
    [
      'a slow p99 fails',
      stats(200, 200, 412.4),
      true,
      {
        verdict: 'fail',
        metric: 'p99',
        value: 412.4,
        threshold: 300,
        detail: 'p99 412ms > 300ms (200 requests)',
      },
    ],
    ['p99 at the bound passes', stats(200, 200, 300), true, { verdict: 'pass' }],
  ]
  for (const [name, to, final, want] of rows) t.same(judge(reading(to), th, final), want, name)
})

t.test('a bad from is shown, never judged', async (t) => {
  t.same(judge(reading(stats(500, 500, 5), stats(500, 0, 9000)), th, true), { verdict: 'pass' })
})

t.test('no p99 bound: latency is not judged', async (t) => {
  t.same(judge(reading(stats(500, 500, 60_000)), { ...th, maxP99Ms: null }, true), {
    verdict: 'pass',
  })
})

t.test('a rate just under the bound reads as under it', async (t) => {
  const r = judge(reading(stats(100_000, 98_999, 5)), th, false)
  t.equal(r.verdict, 'fail')
  if (r.verdict === 'fail') t.equal(r.detail, 'success rate 98.999% < 99% (100000 requests)')
})

t.test('never passes a to under the thresholds, never fails one within them', async (t) => {
  fc.assert(
    fc.property(
      fc.nat(10_000),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.option(fc.double({ min: 0, max: 60_000, noNaN: true })),
      fc.boolean(),
      (requests, share, p99, final) => {
        const successes = Math.floor(requests * share)
        const to = stats(requests, successes, p99)
        const r = judge(reading(to), th, final)
        if (requests < th.minRequests) return r.verdict === 'insufficient'
        const bad = successes / requests < th.minSuccessRate || (p99 !== null && p99 > 300)
        if (bad) return r.verdict === 'fail'
        return r.verdict === (final ? 'pass' : 'continue')
      },
    ),
  )
  t.pass('held for every generated case')
})
