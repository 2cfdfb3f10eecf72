// The verdict on one window (docs/design/rollouts.md §4). Pure: the controller calls it at every
// scrape, so a failing `to` fails as soon as it has minRequests, while a pass waits for the end
// of the interval. Only `to` is judged; `from`'s numbers are shown, never held against it.
import type { Judge } from './source.js'

/** 0.798 → "79.8%", with as many decimals (up to 4) as it takes to differ from `other`. */
function percent(value: number, other: number): string {
  for (let digits = 1; digits <= 4; digits++) {
    const a = Number((value * 100).toFixed(digits))
    const b = Number((other * 100).toFixed(digits))
    if (a !== b || digits === 4) return `${a}%`
  }
  return `${value * 100}%`
}

/** 412.3 → "412ms"; under 10 ms one decimal, so "4.6ms > 4ms" does not read "5ms > 4ms". */
const ms = (value: number): string =>
  `${value < 10 ? Number(value.toFixed(1)) : Math.round(value)}ms`

export const judge: Judge = (reading, thresholds, final) => {
  const to = reading.to
  if (to.requests < thresholds.minRequests) return { verdict: 'insufficient' }
  const requests = `(${to.requests} request${to.requests === 1 ? '' : 's'})`
  const rate = to.successRate ?? to.successes / to.requests
  if (rate < thresholds.minSuccessRate) {
    return {
      verdict: 'fail',
      metric: 'success-rate',
      value: rate,
      threshold: thresholds.minSuccessRate,
      detail: `success rate ${percent(rate, thresholds.minSuccessRate)} < ${percent(thresholds.minSuccessRate, rate)} ${requests}`,
    }
  }
  const max = thresholds.maxP99Ms
  if (max !== null && to.p99Ms !== null && to.p99Ms > max) {
    return {
      verdict: 'fail',
      metric: 'p99',
      value: to.p99Ms,
      threshold: max,
      detail: `p99 ${ms(to.p99Ms)} > ${ms(max)} ${requests}`,
    }
  }
  return final ? { verdict: 'pass' } : { verdict: 'continue' }
}
