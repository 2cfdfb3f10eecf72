// How the traffic view writes numbers: shares as `12.5%`, never rounded into something false
// (a sliver is not 0%, almost all is not 100%), rates and latencies with sensible precision.
import fc from 'fast-check'
import t from 'tap'
import { count, millis, percent, points, rate } from '../src/traffic/format.js'

t.test('shares as percentages with at most one decimal', async (t) => {
  t.equal(percent(0.125), '12.5%')
  t.equal(percent(0.1), '10%')
  t.equal(percent(0.9), '90%')
  t.equal(percent(1 / 3), '33.3%')
  t.equal(percent(0), '0%')
  t.equal(percent(1), '100%')
  t.equal(percent(null), '–', 'unknown is a dash')
})

t.test('a sliver is <0.1%, almost all is >99.9%: never 0% or 100% when it is not', async (t) => {
  t.equal(percent(0.0004), '<0.1%')
  t.equal(percent(0.9996), '>99.9%')
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (x) => {
      const s = percent(x)
      if (s === '0%') return x === 0
      if (s === '100%') return x === 1
      return /^([<>]?\d{1,2}(\.\d)?%)$/.test(s)
    }),
  )
})

t.test('hostile numbers print as a dash or a bound, never NaN or Infinity', async (t) => {
  for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    t.notMatch(percent(x), /NaN|Infinity/)
    t.notMatch(rate(x), /NaN|Infinity/)
    t.notMatch(millis(x), /NaN|Infinity/)
  }
  t.equal(percent(-0.5), '0%')
  t.equal(percent(7), '100%')
})

t.test('rates: two decimals below 10 per second, whole numbers above', async (t) => {
  t.equal(rate(0), '0')
  t.equal(rate(0.004), '<0.01')
  t.equal(rate(2.5), '2.5')
  t.equal(rate(9.999), '10')
  t.equal(rate(123.4), '123')
  t.equal(rate(12345.6), '12,346')
})

t.test('latencies in ms below a second, in s above', async (t) => {
  t.equal(millis(0.84), '0.8 ms')
  t.equal(millis(12.4), '12 ms')
  t.equal(millis(1250), '1.25 s')
  t.equal(millis(null), '–')
})

t.test('points carry their sign; counts their separators', async (t) => {
  t.equal(points(0.35), '+35')
  t.equal(points(-0.095), '-9.5')
  t.equal(count(12345), '12,345')
})
