// Character classes of Finagle's dtab grammar. The parser works on UTF-16 code units, as
// Java's String.charAt does, so every predicate here takes one code unit.

/**
 * Java's `Character.isWhitespace`, which is not JavaScript's `\s`: Java excludes the
 * no-break spaces (U+00A0, U+2007, U+202F) and U+FEFF, and includes U+001C..U+001F.
 * U+180E follows current Unicode (not whitespace), as on JDK 17.
 */
export function isWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)
  if (c < 0x1680) return false
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a && c !== 0x2007) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x205f ||
    c === 0x3000
  )
}

const SHOWABLE = new Uint8Array(128)
for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-') {
  SHOWABLE[ch.charCodeAt(0)] = 1
}

/** A byte (or code unit) that may appear unescaped in a path element. */
export function isShowable(c: number): boolean {
  return c < 128 && SHOWABLE[c] === 1
}

export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

const UNICODE_DIGIT = /\p{Nd}/u

/** Java's `Character.isDigit`: any Unicode decimal digit, not only ASCII. */
export function isDigit(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true
  if (c < 0x80 || (c >= 0xd800 && c <= 0xdfff)) return false
  return UNICODE_DIGIT.test(String.fromCharCode(c))
}

/**
 * Java's `Character.digit(c, 10)`: the value of any Unicode decimal digit, not only ASCII, or -1.
 * Unicode lays out each script's decimal digits as a run of ten code points, zero first (every
 * run in the BMP stands alone), so the value is the distance back to the start of the run.
 */
export function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (!isDigit(c)) return -1
  let zero = c
  while (zero > c - 9 && isDigit(zero - 1)) zero--
  return c - zero
}
