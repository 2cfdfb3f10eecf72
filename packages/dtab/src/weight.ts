// Number formatting as the JVM does it, for byte-identical output with Finagle and Jackson.

/** Decimal digits and exponent of the shortest round-trip representation of |x|. */
function decimal(x: number): { digits: string; exp: number } {
  // String(x) gives the shortest round-trip digits, as Java's Double.toString does (JDK 19+).
  const s = Math.abs(x).toExponential() // d.ddddde±n, shortest digits
  const e = s.indexOf('e')
  const digits = s.slice(0, e).replace('.', '')
  return { digits, exp: Number(s.slice(e + 1)) }
}

/**
 * Java's `String.format("%.2f", w)` in an en-US locale: HALF_UP rounding applied to the
 * shortest decimal string (so 1.005 gives 1.01 and 2.675 gives 2.68, unlike toFixed), never in
 * exponent notation. This is how Finagle prints union weights.
 */
export function formatWeight(w: number): string {
  if (Number.isNaN(w)) return 'NaN'
  if (!Number.isFinite(w)) return w > 0 ? 'Infinity' : '-Infinity'
  const sign = w < 0 || Object.is(w, -0) ? '-' : ''
  if (w === 0) return `${sign}0.00`
  const { digits, exp } = decimal(w)
  // The value is 0.d1d2d3... × 10^(exp+1); pad the integer part, keep two decimals.
  const pointAt = exp + 1 // digits before the decimal point
  let all = digits
  let intLen = pointAt
  if (intLen <= 0) {
    all = '0'.repeat(1 - intLen) + all
    intLen = 1
  }
  all = all.padEnd(intLen + 3, '0')
  let kept = all.slice(0, intLen + 2)
  if (all.charCodeAt(intLen + 2) >= 0x35) kept = incrementDecimal(kept)
  const carried = kept.length - (intLen + 2)
  const int = kept.slice(0, intLen + carried).replace(/^0+(?=\d)/, '')
  return `${sign}${int}.${kept.slice(intLen + carried)}`
}

function incrementDecimal(s: string): string {
  const d = s.split('')
  for (let i = d.length - 1; i >= 0; i--) {
    if (d[i] === '9') d[i] = '0'
    else {
      d[i] = String.fromCharCode(d[i]!.charCodeAt(0) + 1)
      return d.join('')
    }
  }
  return `1${d.join('')}`
}

/**
 * Java's `Double.toString`, as Jackson writes a double: `1.0`, `0.5`, `1.0E21`, `1.0E-4`.
 * Plain JSON.stringify would write `1` and `1e+21`.
 */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const sign = x < 0 ? '-' : ''
  const a = Math.abs(x)
  const { digits, exp } = decimal(x)
  if (a >= 1e-3 && a < 1e7) {
    const s = String(a) // plain notation in this range
    return sign + (s.includes('.') ? s : `${s}.0`)
  }
  const mantissa = digits.length === 1 ? `${digits}.0` : `${digits[0]}.${digits.slice(1)}`
  return `${sign}${mantissa}E${exp}`
}
