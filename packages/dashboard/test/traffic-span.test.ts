// What the traffic view says about the span its numbers cover (audit M1: "482 requests in the
// last 10 s, 60 per second" when 482 was 8 s of traffic, and "no requests" on the first answer
// while 55 req/s flowed): `measuring` until namerd compared two reads, then the seconds really
// covered, so count / seconds is the rate shown. And the address's paths that are not shown are
// said, not dropped (audit H2/L2: `?path=/svc/*` was ignored with no word).
import fc from 'fast-check'
import t from 'tap'
import { span } from '../src/traffic/coverage.js'
import { MAX_PATHS, refusedPaths } from '../src/traffic/paths.js'

const proxies = (read: number) => ({ listed: 2, read, problems: [] })

t.test('the first answer (one read) is measuring, not "no requests"', async (t) => {
  t.same(span({ windowSeconds: 10, coveredSeconds: 0, proxies: proxies(2) }), {
    kind: 'measuring',
  })
  t.same(span({ windowSeconds: 10, coveredSeconds: 0, proxies: proxies(0) }), {
    kind: 'measuring',
  })
})

t.test('the span covered, to a tenth under 10 s, whole above, at most the window', async (t) => {
  t.same(span({ windowSeconds: 10, coveredSeconds: 8.04, proxies: proxies(2) }), {
    kind: 'covered',
    seconds: 8,
  })
  t.same(span({ windowSeconds: 10, coveredSeconds: 2.001, proxies: proxies(1) }), {
    kind: 'covered',
    seconds: 2,
  })
  t.same(span({ windowSeconds: 10, coveredSeconds: 0.2, proxies: proxies(1) }), {
    kind: 'covered',
    seconds: 0.2,
  })
  // 44 requests over 1.47 s are 30 per second: "the last 1.5 s", not "the last 1 s".
  t.same(span({ windowSeconds: 10, coveredSeconds: 1.47, proxies: proxies(1) }), {
    kind: 'covered',
    seconds: 1.5,
  })
  t.same(span({ windowSeconds: 60, coveredSeconds: 12.4, proxies: proxies(1) }), {
    kind: 'covered',
    seconds: 12,
  })
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 120 }),
      fc.double({ min: 0, max: 200, noNaN: true }),
      (w, c) => {
        const s = span({ windowSeconds: w, coveredSeconds: c, proxies: proxies(1) })
        return c === 0
          ? s.kind === 'measuring'
          : s.kind === 'covered' &&
              s.seconds > 0 &&
              s.seconds <= w &&
              // The count / seconds the page shows is the rate within 10% (a tenth of 1 s is 10%).
              (Math.min(c, w) < 1 || Math.abs(s.seconds - Math.min(c, w)) <= 0.1 * Math.min(c, w))
      },
    ),
  )
})

t.test("the address's paths left out are each said, with why", async (t) => {
  const q = new URLSearchParams()
  for (const p of ['/svc/*', '/svc/world', 'svc/x', '/svc/world']) q.append('path', p)
  const refused = refusedPaths(q)
  t.equal(refused.length, 2, 'the wildcard and the one without a slash; a repeat is no refusal')
  t.match(refused[0], /^\/svc\/\* has a wildcard: .*give each one whole, e\.g\. \/svc\/world/)
  t.match(refused[1], /^svc\/x is not a path/)
  const many = new URLSearchParams()
  for (let i = 0; i <= MAX_PATHS; i++) many.append('path', `/svc/s${i}`)
  t.same(refusedPaths(many), [`/svc/s${MAX_PATHS}: at most ${MAX_PATHS} services at once`])
  t.same(refusedPaths(new URLSearchParams('path=/svc/a')), [])
})
