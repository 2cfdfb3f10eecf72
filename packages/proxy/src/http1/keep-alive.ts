// A backend's `Keep-Alive: timeout=N, max=M` header (RFC 2068 §19.7.1.1, still sent by node,
// Apache and others beside a persistent connection): how long it keeps an idle connection, and
// how many more requests it takes on it. The pool keeps a connection for less than that, so a
// request is never written on a socket the backend is closing (the keep-alive race).
import { equalsIgnoreCase } from './head.js'

/** No hint: the pool's own idle limit applies. */
export const NO_HINT = -1

/** Digits read of a value at most: 10^9 s is already forever. */
const MAX_DIGITS = 9

/**
 * The hint in `buf[from, to)` (the field value): the backend's idle timeout in ms, 0 when the
 * connection must not be reused (`timeout=0` or `max=0`), or NO_HINT. A parameter given twice
 * counts with its smaller value; one that is not a number is ignored, as the header is advice.
 */
export function keepAliveHint(buf: Buffer, from: number, to: number): number {
  let hint = NO_HINT
  let i = from
  while (i < to) {
    while (i < to && (buf[i] === 32 || buf[i] === 9 || buf[i] === 44)) i++
    const name = i
    while (i < to && buf[i] !== 61 && buf[i] !== 44 && buf[i] !== 32 && buf[i] !== 9) i++
    const nameEnd = i
    while (i < to && (buf[i] === 32 || buf[i] === 9)) i++
    if (i >= to || buf[i] !== 61) continue
    i++
    while (i < to && (buf[i] === 32 || buf[i] === 9)) i++
    const quoted = buf[i] === 34
    if (quoted) i++
    let value = 0
    let digits = 0
    while (i < to && buf[i]! >= 48 && buf[i]! <= 57) {
      if (++digits <= MAX_DIGITS) value = value * 10 + buf[i]! - 48
      i++
    }
    if (quoted && buf[i] === 34) i++
    while (i < to && (buf[i] === 32 || buf[i] === 9)) i++
    const whole = digits > 0 && (i >= to || buf[i] === 44)
    // Whatever else the element holds is not ours to read: on to the next comma.
    while (i < to && buf[i] !== 44) i++
    if (!whole) continue
    if (equalsIgnoreCase(buf, name, nameEnd, 'max')) {
      if (value === 0) return 0
    } else if (equalsIgnoreCase(buf, name, nameEnd, 'timeout')) {
      const ms = value * 1000
      if (hint === NO_HINT || ms < hint) hint = ms
    }
  }
  return hint
}

/** The hint in a parsed header value (the full parser's path). */
export function keepAliveHintOf(value: string | string[] | undefined): number {
  if (value === undefined) return NO_HINT
  const b = Buffer.from(Array.isArray(value) ? value.join(', ') : value, 'latin1')
  return keepAliveHint(b, 0, b.length)
}

/**
 * How long the pool may keep an idle connection given the backend's hint: a margin short of
 * it (a fifth, at most 1 s) for the response's own travel time and a late event loop, and
 * never longer than `limitMs`, the pool's own limit. 0: close it now.
 */
export function idleLimit(hintMs: number, limitMs: number): number {
  if (hintMs === NO_HINT) return limitMs
  return Math.max(0, Math.min(limitMs, hintMs - Math.min(1000, hintMs / 5)))
}
