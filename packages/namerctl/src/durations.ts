// Durations and rates as people type them on a command line, and as namerd stores them: `1m`,
// `300ms`, `1h30m` are whole milliseconds; `99%`, `99.5%`, `0.99` are fractions. A value that is
// not one of these is a usage error naming the flag and showing forms that work, never a guess
// (a bare `5` could be seconds or minutes, so it is refused).
import { UsageError } from './errors.js'

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y

/** `1m` → 60000, `1h30m` → 5400000, `1.5s` → 1500, `300ms` → 300. */
export function parseDuration(text: string, flag: string): number {
  const s = text.trim()
  const bad = (why: string) =>
    new UsageError(`${flag} ${JSON.stringify(text)}: ${why}`, [
      'give a duration with its unit, e.g. 300ms, 30s, 1m, 1h30m',
    ])
  if (s === '') throw bad('is empty')
  if (/^\d+(\.\d+)?$/.test(s)) throw bad('has no unit (ms, s, m, h or d)')
  PART.lastIndex = 0
  let ms = 0
  let last = Number.POSITIVE_INFINITY
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex
    const m = PART.exec(s)
    if (m === null) throw bad(`cannot read ${JSON.stringify(s.slice(at))}`)
    const unit = UNITS[m[2]!]!
    // 1h30m, not 30m1h or 1m1m: each unit once, largest first.
    if (unit >= last) throw bad('units must go from largest to smallest, each once (1h30m)')
    last = unit
    ms += Number(m[1]) * unit
  }
  if (!Number.isFinite(ms) || ms <= 0) throw bad('must be more than zero')
  // 4216542.013s is 4216542012.9999995 in binary floating point: a whole number all the same.
  const whole = Math.round(ms)
  if (Math.abs(ms - whole) > 1e-3) throw bad('is not a whole number of milliseconds')
  ms = whole
  if (ms > Number.MAX_SAFE_INTEGER) throw bad('is too long')
  return ms
}

/** `99%` → 0.99, `99.5%` → 0.995, `0.99` → 0.99; between 0 and 1 inclusive. */
export function parseRate(text: string, flag: string): number {
  const s = text.trim()
  const bad = (why: string) =>
    new UsageError(`${flag} ${JSON.stringify(text)}: ${why}`, [
      'give a percentage or a fraction, e.g. 99%, 99.5% or 0.99',
    ])
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(s)
  if (percent !== null) {
    const n = Number(percent[1])
    if (n > 100) throw bad('is more than 100%')
    // Rounded to the percentage's own digits, so 99.5% is 0.995 and not 0.9950000000000001.
    return Number((n / 100).toFixed((percent[1]!.split('.')[1]?.length ?? 0) + 2))
  }
  if (/^(0|1)(\.\d+)?$|^\.\d+$/.test(s)) {
    const n = Number(s)
    if (n > 1) throw bad('is more than 1 (write 99% or 0.99 for ninety-nine percent)')
    return n
  }
  if (/^\d+(\.\d+)?$/.test(s)) {
    throw bad(`is more than 1: did you mean ${s}%?`)
  }
  throw bad('is not a rate')
}

/** How a duration in milliseconds reads back: 60000 → `1m`, 5400000 → `1h30m`, 1500 → `1.5s`. */
export function showDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  if (ms % 1000 !== 0) return `${ms / 1000}s`
  let rest = ms
  let out = ''
  for (const [unit, size] of [
    ['d', UNITS.d!],
    ['h', UNITS.h!],
    ['m', UNITS.m!],
    ['s', UNITS.s!],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`
      rest %= size
    }
  }
  return out
}

/** A fraction as a percentage: 0.99 → `99%`, 0.995 → `99.5%`. */
export function showRate(rate: number): string {
  return `${Number((rate * 100).toFixed(3))}%`
}
