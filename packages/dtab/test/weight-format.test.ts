// Numbers as the JVM prints them: Java's %.2f for union weights in show (semantics §7) and
// Double.toString for the weights in delegate JSON (§13).
import { formatWeight, javaDouble } from '@switchyard/dtab'
import fc from 'fast-check'
import t from 'tap'

/**
 * An independent model of Java's String.format("%.2f", x): HALF_UP rounding of the shortest
 * decimal representation (JavaScript's String(x)), done in exact integer arithmetic.
 */
function javaPercent2f(x: number): string {
  const sign = x < 0 || Object.is(x, -0) ? '-' : ''
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(x)))
  if (!m) throw new Error(`unexpected number text ${String(x)}`)
  const frac = m[2] ?? ''
  const digits = BigInt(m[1]! + frac)
  const scale = frac.length - Number(m[3] ?? '0') // |x| = digits / 10^scale
  let hundredths: bigint
  if (scale <= 2) {
    hundredths = digits * 10n ** BigInt(2 - scale)
  } else {
    const divisor = 10n ** BigInt(scale - 2)
    hundredths = digits / divisor
    if ((digits % divisor) * 2n >= divisor) hundredths += 1n // half up
  }
  const cents = (hundredths % 100n).toString().padStart(2, '0')
  return `${sign}${hundredths / 100n}.${cents}`
}

t.test('weights print as Java %.2f does, unlike toFixed (the §7 table)', async (t) => {
  const table: [number, string, string][] = [
    [1.005, '1.01', '1.00'],
    [2.675, '2.68', '2.67'],
    [0.015, '0.02', '0.01'],
    [0.995, '1.00', '0.99'],
    [0.125, '0.13', '0.13'],
    [1e21, '1000000000000000000000.00', '1e+21'],
  ]
  for (const [w, java, js] of table) {
    t.equal(formatWeight(w), java, `${w} prints as Java does`)
    t.equal(w.toFixed(2), js, `${w}.toFixed(2) is what the table says JavaScript gives`)
  }
})

t.test('rounding is half-up on the shortest decimal digits', async (t) => {
  const table: [number, string][] = [
    [0.999, '1.00'],
    [0.005, '0.01'],
    [0.025, '0.03'],
    [1.115, '1.12'],
    [0.375, '0.38'],
    [0.0049, '0.00'],
    [9.995, '10.00'],
    [99.995, '100.00'],
    [0.1 + 0.2, '0.30'],
  ]
  for (const [w, s] of table) t.equal(formatWeight(w), s, String(w))
})

t.test('always two decimals, never exponent notation', async (t) => {
  const table: [number, string][] = [
    [0, '0.00'],
    [1, '1.00'],
    [9, '9.00'],
    [0.5, '0.50'],
    [1e-7, '0.00'],
    [5e-324, '0.00'],
    [123456789, '123456789.00'],
    [1.2345678901234568e20, '123456789012345680000.00'],
    [1e22, '10000000000000000000000.00'],
  ]
  for (const [w, s] of table) t.equal(formatWeight(w), s, String(w))
})

t.test('negative and non-finite weights print as Java would', async (t) => {
  t.equal(formatWeight(-1.005), '-1.01')
  t.equal(formatWeight(-0.001), '-0.00')
  t.equal(formatWeight(-0), '-0.00')
  t.equal(formatWeight(Number.NaN), 'NaN')
  t.equal(formatWeight(Number.POSITIVE_INFINITY), 'Infinity')
  t.equal(formatWeight(Number.NEGATIVE_INFINITY), '-Infinity')
})

t.test('formatWeight agrees with an exact model of Java %.2f for any finite double', async (t) => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (w) => {
      return formatWeight(w) === javaPercent2f(w)
    }),
    { numRuns: 5000 },
  )
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000_000 }), (k) => {
      // Decimal ties at the third place are where Java and toFixed part ways.
      const w = (k * 10 + 5) / 1000
      return formatWeight(w) === javaPercent2f(w)
    }),
  )
  t.pass('no counterexample')
})

t.test('JSON weights are Java doubles: 1.0, 3.0, 0.5, 1.0E21', async (t) => {
  const table: [number, string][] = [
    [1, '1.0'],
    [3, '3.0'],
    [0.5, '0.5'],
    [1e21, '1.0E21'],
    [0.9, '0.9'],
    [0, '0.0'],
    [-0, '-0.0'],
    [-2, '-2.0'],
    [100, '100.0'],
    [0.001, '0.001'],
    [0.0009999, '9.999E-4'],
    [1e-4, '1.0E-4'],
    [9999999, '9999999.0'],
    [1e7, '1.0E7'],
    [123456789, '1.23456789E8'],
    [1.5e-5, '1.5E-5'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ]
  for (const [x, s] of table) t.equal(javaDouble(x), s, String(x))
})

t.test('a Java double reads back as the same number, in the notation Java picks', async (t) => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const s = javaDouble(x)
      const a = Math.abs(x)
      const scientific = a !== 0 && (a < 1e-3 || a >= 1e7)
      return (
        Object.is(Number(s.replace('E', 'e')), x) &&
        s.includes('.') &&
        s.includes('E') === scientific &&
        /^-?\d+\.\d+(E-?\d+)?$/.test(s)
      )
    }),
    { numRuns: 5000 },
  )
  t.pass('no counterexample')
})
