// The common response, passed on without being parsed into strings: its head is checked byte
// by byte and copied, less the hop-by-hop and framing lines, into the head the client gets;
// the framing line is the proxy's own, as the full path (framing.ts responseBody) writes it.
// Anything out of the ordinary (a Connection header naming others, a coding besides chunked, a
// repeated length, a line that does not check) is left to the full parser (head.ts), which
// either handles it or names the problem; this only has to be right about what it accepts.
import type { Framing } from './framing.js'
import { NO_BODY } from './framing.js'
import { CHARS, equalsIgnoreCase, TCHAR } from './head.js'
import type { HeaderRole } from './header-roles.js'
import { keepAliveHint, NO_HINT } from './keep-alive.js'

export interface ScannedResponse {
  readonly status: number
  readonly framing: Framing
  /**
   * The backend keeps the connection after this response, as far as the response says: not
   * HTTP/1.0, no `Connection: close`, no Keep-Alive `max=0`, a body not read to the close.
   */
  readonly reusable: boolean
  /** The backend's Keep-Alive hint (keep-alive.ts): its idle timeout in ms, 0, or NO_HINT. */
  readonly keepAlive: number
  /** The status line and end-to-end header lines; room is left for 21 more bytes and `spare`. */
  readonly head: Buffer
  readonly length: number
}

const CHUNKED: Framing = Object.freeze({ kind: 'chunked' })
const CLOSE: Framing = Object.freeze({ kind: 'close' })

/** What `connection: close\r\n\r\n` needs. */
export const HEAD_SPARE = 21
/** The most the proxy's framing line takes: `content-length: ` and 15 digits, CRLF. */
const FRAMING_SPARE = 33
const CONTENT_LENGTH = Buffer.from('content-length: ', 'latin1')
const TE_CHUNKED = Buffer.from('transfer-encoding: chunked\r\n', 'latin1')

/**
 * What the scan does with a header line, by its name: the roles of header-roles.ts, read
 * without making a string (test/http1-header-roles.test.ts holds the two to agree).
 */
enum Name {
  Other,
  Drop,
  KeepAlive,
  Connection,
  ContentLength,
  TransferEncoding,
  Bail,
}

/**
 * The response head in `buf[start, end)` (end just past its blank line) for a request of
 * `method`, or undefined when it needs the full parser. `spare`: bytes of room to leave after
 * the head, so a small body can go out in the same write.
 */
export function scanResponseHead(
  buf: Buffer,
  start: number,
  end: number,
  method: string,
  spare = 0,
): ScannedResponse | undefined {
  // "HTTP/1.x NNN"
  if (end - start < 16 || buf[start + 12] === undefined) return undefined
  if (
    buf[start] !== 72 ||
    buf[start + 1] !== 84 ||
    buf[start + 2] !== 84 ||
    buf[start + 3] !== 80 ||
    buf[start + 4] !== 47 ||
    buf[start + 5] !== 49 ||
    buf[start + 6] !== 46 ||
    (buf[start + 7] !== 48 && buf[start + 7] !== 49) ||
    buf[start + 8] !== 32
  ) {
    return undefined
  }
  const d0 = buf[start + 9]! - 48
  const d1 = buf[start + 10]! - 48
  const d2 = buf[start + 11]! - 48
  if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return undefined
  const status = d0 * 100 + d1 * 10 + d2
  if (status < 200) return undefined
  const http10 = buf[start + 7] === 48
  const lineEnd = lineEndAt(buf, start + 12, end)
  if (lineEnd < 0) return undefined
  if (lineEnd > start + 12 && buf[start + 12] !== 32) return undefined
  // reason-phrase: HTAB, SP, VCHAR, obs-text (RFC 9112 §4); a control byte is the full
  // parser's to refuse.
  for (let i = start + 13; i < lineEnd; i++) {
    const c = buf[i]!
    if ((c < 32 && c !== 9) || c === 127) return undefined
  }

  const out = Buffer.allocUnsafe(end - start + FRAMING_SPARE + HEAD_SPARE + spare)
  let n = buf.copy(out, 0, start, lineEnd + 2)
  out[7] = 49 // we speak HTTP/1.1 to the client whatever the backend spoke
  let close = http10
  let length = -1
  let chunked = false
  let keepAlive = NO_HINT
  let pos = lineEnd + 2
  const headEnd = end - 2
  while (pos < headEnd) {
    const eol = lineEndAt(buf, pos, end)
    if (eol < 0) return undefined
    let colon = pos
    while (colon < eol && (CHARS[buf[colon]!]! & TCHAR) !== 0) colon++
    if (colon === pos || colon === eol || buf[colon] !== 58) return undefined
    let v = colon + 1
    while (v < eol && (buf[v] === 32 || buf[v] === 9)) v++
    let ve = eol
    while (ve > v && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--
    switch (classify(buf, pos, colon)) {
      case Name.Drop:
        break
      case Name.KeepAlive: {
        // Several lines are one list (RFC 9110 §5.3): the smallest timeout counts, 0 first.
        const hint = keepAliveHint(buf, v, ve)
        if (keepAlive === NO_HINT || (hint !== NO_HINT && hint < keepAlive)) keepAlive = hint
        break
      }
      case Name.Bail:
        return undefined
      case Name.Connection: {
        if (equalsIgnoreCase(buf, v, ve, 'close')) close = true
        else if (!equalsIgnoreCase(buf, v, ve, 'keep-alive')) return undefined
        break
      }
      case Name.ContentLength: {
        if (length >= 0 || ve === v || ve - v > 15) return undefined
        let x = 0
        for (let i = v; i < ve; i++) {
          const c = buf[i]! - 48
          if (c < 0 || c > 9) return undefined
          x = x * 10 + c
        }
        length = x
        break
      }
      case Name.TransferEncoding: {
        if (chunked || !equalsIgnoreCase(buf, v, ve, 'chunked')) return undefined
        chunked = true
        break
      }
      default: {
        // field-value: no control byte but HTAB (RFC 9110 §5.5).
        for (let i = v; i < ve; i++) {
          const c = buf[i]!
          if ((c < 32 && c !== 9) || c === 127) return undefined
        }
        n += buf.copy(out, n, pos, eol + 2)
      }
    }
    pos = eol + 2
  }
  // Both: refused, by the full path (framing.ts responseBody).
  if (chunked && length >= 0) return undefined
  // The framing line is the proxy's own, as in responseBody: chunked only when a body follows,
  // a length also for HEAD and 304 (the representation's), never for 204.
  let framing: Framing
  if (method === 'HEAD' || status === 304) framing = NO_BODY
  else if (status === 204) {
    framing = NO_BODY
    length = -1
  } else if (chunked) {
    framing = CHUNKED
    n += TE_CHUNKED.copy(out, n)
  } else if (length > 0) framing = { kind: 'length', length }
  else if (length === 0) framing = NO_BODY
  else framing = CLOSE
  if (length >= 0) {
    n += CONTENT_LENGTH.copy(out, n)
    n = writeDecimal(out, n, length)
  }
  const reusable = !close && keepAlive !== 0 && framing.kind !== 'close'
  return { status, framing, reusable, keepAlive, head: out, length: n }
}

/** `value` in decimal and CRLF at `out[n]`; the index after them. */
function writeDecimal(out: Buffer, n: number, value: number): number {
  let digits = 1
  for (let x = value; x >= 10; x = Math.floor(x / 10)) digits++
  let i = n + digits
  let x = value
  do {
    out[--i] = 48 + (x % 10)
    x = Math.floor(x / 10)
  } while (x > 0)
  out[n + digits] = 13
  out[n + digits + 1] = 10
  return n + digits + 2
}

/** The CR of the CRLF ending the line at `from`; -1 for a bare CR or LF first. */
function lineEndAt(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = buf[i]
    if (c === 13) return buf[i + 1] === 10 ? i : -1
    if (c === 10 || c === 0) return -1
  }
  return -1
}

function classify(buf: Buffer, from: number, to: number): Name {
  switch (to - from) {
    case 2:
      return equalsIgnoreCase(buf, from, to, 'te') ? Name.Bail : Name.Other
    case 7:
      return equalsIgnoreCase(buf, from, to, 'upgrade') ||
        equalsIgnoreCase(buf, from, to, 'trailer')
        ? Name.Bail
        : Name.Other
    case 10:
      if (equalsIgnoreCase(buf, from, to, 'connection')) return Name.Connection
      return equalsIgnoreCase(buf, from, to, 'keep-alive') ? Name.KeepAlive : Name.Other
    case 14:
      return equalsIgnoreCase(buf, from, to, 'content-length') ? Name.ContentLength : Name.Other
    case 16:
      return equalsIgnoreCase(buf, from, to, 'proxy-connection') ? Name.Drop : Name.Other
    case 17:
      return equalsIgnoreCase(buf, from, to, 'transfer-encoding')
        ? Name.TransferEncoding
        : Name.Other
    case 18:
      return equalsIgnoreCase(buf, from, to, 'proxy-authenticate') ? Name.Drop : Name.Other
    case 19:
      return equalsIgnoreCase(buf, from, to, 'proxy-authorization') ? Name.Drop : Name.Other
    default:
      return Name.Other
  }
}

/**
 * The role the scan gives a header name of a response (header-roles.ts, where `replace`
 * names pass on a response), or `bail` for one it leaves to the full parser. For the test
 * that holds the classifier to the table: it is a switch on the name's length for speed.
 */
export function scanRole(name: string): HeaderRole | 'bail' {
  const b = Buffer.from(name, 'latin1')
  switch (classify(b, 0, b.length)) {
    case Name.Drop:
    case Name.KeepAlive:
    case Name.Connection:
      return 'drop'
    case Name.ContentLength:
    case Name.TransferEncoding:
      return 'framing'
    case Name.Bail:
      return 'bail'
    default:
      return 'pass'
  }
}

/**
 * The first bare LF, bare CR or NUL of the unfinished head at `start`, looking at
 * `buf[from, to)` (what came since the last look); a CR last waits for what follows it.
 */
export function badHeadByte(
  buf: Buffer,
  start: number,
  from: number,
  to: number,
): { readonly at: number; readonly what: string } | undefined {
  for (let i = Math.max(start, from - 1); i < to; i++) {
    const c = buf[i]
    if (c === 10) {
      if (i === start || buf[i - 1] !== 13) return { at: i, what: 'Bare LF' }
    } else if (c === 13) {
      if (i + 1 < to && buf[i + 1] !== 10) return { at: i, what: 'Bare CR' }
    } else if (c === 0) return { at: i, what: 'NUL' }
  }
  return undefined
}
