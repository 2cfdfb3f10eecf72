// How `rollout start` reads durations and rates: exact values for what people type, and a
// usage error naming the flag for anything else, never a guess.
import fc from 'fast-check'
import t from 'tap'
import { parseDuration, parseRate, showDuration, showRate } from '../src/durations.js'
import { UsageError } from '../src/errors.js'

t.test('durations', async (t) => {
  const good: [string, number][] = [
    ['300ms', 300],
    ['1s', 1000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    [' 10s ', 10_000],
  ]
  for (const [text, ms] of good) t.equal(parseDuration(text, '--interval'), ms, text)
  const bad: [string, RegExp][] = [
    ['', /is empty/],
    ['5', /has no unit/],
    ['5x', /cannot read "5x"/],
    ['1m1h', /largest to smallest/],
    ['1m1m', /largest to smallest/],
    ['0s', /more than zero/],
    ['0.5ms', /whole number of milliseconds/],
    ['-1s', /cannot read/],
  ]
  for (const [text, message] of bad) {
    t.throws(() => parseDuration(text, '--interval'), UsageError, text)
    t.throws(() => parseDuration(text, '--interval'), { message })
    t.throws(() => parseDuration(text, '--interval'), { message: /^--interval / })
  }
  t.equal(showDuration(60_000), '1m')
  t.equal(showDuration(5_400_000), '1h30m')
  t.equal(showDuration(1500), '1.5s')
  t.equal(showDuration(300), '300ms')
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10 ** 10 }), (ms) => {
      return parseDuration(showDuration(ms), '--x') === ms
    }),
  )
})

t.test('rates', async (t) => {
  const good: [string, number][] = [
    ['99%', 0.99],
    ['99.5%', 0.995],
    ['100%', 1],
    ['0%', 0],
    ['0.99', 0.99],
    ['1', 1],
    ['.9', 0.9],
  ]
  for (const [text, rate] of good) t.equal(parseRate(text, '--min-success'), rate, text)
  const bad: [string, RegExp][] = [
    ['99', /did you mean 99%\?/],
    ['101%', /more than 100%/],
    ['1.5', /more than 1/],
    ['high', /is not a rate/],
    ['-1%', /is not a rate/],
  ]
  for (const [text, message] of bad) {
    t.throws(() => parseRate(text, '--min-success'), { message })
    t.throws(() => parseRate(text, '--min-success'), { message: /^--min-success / })
  }
  t.equal(showRate(0.995), '99.5%')
  t.equal(showRate(0.99), '99%')
})
