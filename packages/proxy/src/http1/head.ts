// HTTP/1.1 message heads (RFC 9112 §2–5), parsed strictly: a proxy that is more lenient than
// the servers behind it is how request smuggling starts, so anything ambiguous is refused.
// A request head is read by a byte scanner that can stop anywhere and resume, so a head is
// refused at the first byte that makes it invalid, however the bytes arrive; the same pass
// records where each part is, and the head is then cut into strings once.
// Header names are lower-cased; a repeated header becomes an array in arrival order, so a
// proxy can send it on as it came (and dtab headers are never joined with commas).
import { isIPv6 } from 'node:net'

/** Header values by lower-case name; a header that came more than once is an array. */
export type HeaderMap = Record<string, string | string[] | undefined>

export type HttpVersion = '1.0' | '1.1'

export interface RequestHead {
  readonly method: string
  /** The request-target as it came (origin, absolute or asterisk form). */
  readonly url: string
  readonly httpVersion: HttpVersion
  readonly headers: HeaderMap
}

export interface ResponseHead {
  readonly status: number
  readonly reason: string
  readonly httpVersion: HttpVersion
  readonly headers: HeaderMap
}

export type HttpErrorCode =
  | 'bad_request_line'
  | 'bad_header'
  | 'bad_host'
  | 'bad_framing'
  | 'head_too_large'
  | 'unsupported_version'
  | 'unsupported_coding'
  | 'unsupported_method'
  | 'bad_status_line'
  | 'bad_chunk'
  | 'bare_lf'
  | 'bad_target'

/** A message that does not parse; `offset` is the byte where the problem is. */
export class HttpParseError extends Error {
  override readonly name = 'HttpParseError'
  constructor(
    readonly code: HttpErrorCode,
    /** What is wrong, without the position. */
    readonly reason: string,
    readonly offset: number,
    /** What a server answers: 400, 431 (head too large), 501 (coding), 505 (version). */
    readonly status: 400 | 431 | 501 | 505 = 400,
    /** What the offset counts from, when not the message's first byte: ` of the body`. */
    of = '',
  ) {
    super(`${reason} (at byte ${offset}${of})`)
  }
}

/** Node's default limit for a whole head, request line and headers. */
export const MAX_HEAD_BYTES = 16 * 1024

// Byte classes, one table lookup per byte.
/** tchar (RFC 9110 §5.6.2). */
export const TCHAR = 1
/** field-vchar: VCHAR or obs-text (RFC 9110 §5.5); SP and HTAB are tested apart. */
export const FIELD_VCHAR = 2
/** HEXDIG. */
export const HEXDIG = 4
/** qdtext of a quoted-string (RFC 9110 §5.6.4): HTAB, SP, VCHAR but `"` and `\`, obs-text. */
export const QDTEXT = 8
/** A byte of a request-target: VCHAR but "#" (a fragment is never sent, RFC 9112 §3.2). */
const TARGET = 16
/** unreserved / sub-delims (RFC 3986 §2.2, §2.3): a reg-name byte, pct-encoding apart. */
const REG_NAME = 32
/** pchar (RFC 3986 §3.3), pct-encoding apart: unreserved / sub-delims / ":" / "@". */
const PCHAR = 64

export const CHARS = new Uint8Array(256)
for (let c = 0x21; c <= 0x7e; c++) CHARS[c]! |= FIELD_VCHAR | TARGET | QDTEXT
CHARS[35]! &= ~TARGET
for (let c = 0x80; c <= 0xff; c++) CHARS[c]! |= FIELD_VCHAR | QDTEXT
CHARS[9]! |= QDTEXT
CHARS[32]! |= QDTEXT
CHARS[34]! &= ~QDTEXT
CHARS[92]! &= ~QDTEXT
for (const c of "!#$%&'*+-.^_`|~") CHARS[c.charCodeAt(0)]! |= TCHAR
for (const c of "-._~!$&'()*+,;=") CHARS[c.charCodeAt(0)]! |= REG_NAME | PCHAR
CHARS[58]! |= PCHAR
CHARS[64]! |= PCHAR
for (let c = 48; c <= 57; c++) CHARS[c]! |= TCHAR | HEXDIG | REG_NAME | PCHAR
for (let c = 65; c <= 90; c++) CHARS[c]! |= TCHAR | REG_NAME | PCHAR | (c <= 70 ? HEXDIG : 0)
for (let c = 97; c <= 122; c++) CHARS[c]! |= TCHAR | REG_NAME | PCHAR | (c <= 102 ? HEXDIG : 0)

/**
 * Where the head that starts at `start` ends: the index just past its blank line, or -1 when
 * it is not all here yet. `from` lets a caller resume the search in a growing buffer.
 */
export function findHeadEnd(buf: Buffer, start: number, from = start): number {
  const i = buf.indexOf('\r\n\r\n', Math.max(start, from - 3), 'latin1')
  return i < 0 ? -1 : i + 4
}

enum H {
  Method,
  Target,
  Protocol,
  Major,
  Dot,
  Minor,
  LineCr,
  LineLf,
  FieldStart,
  Name,
  Ows,
  Value,
  ValueLf,
  HeadLf,
  Done,
}

/** The header lines the scanner checks beyond their grammar. */
enum Field {
  Other,
  Host,
  ContentLength,
  TransferEncoding,
}

const PROTOCOL = [72, 84, 84, 80, 47] // "HTTP/"

/**
 * Reads a request head (RFC 9112 §3, §5) byte by byte, as much as has arrived: `scan` may be
 * called again with more bytes and resumes where it stopped, so a head sent a byte at a time
 * costs linear work. It throws HttpParseError at the first byte that makes the head invalid,
 * whatever follows it could be: a method or name byte outside tchar, a bare CR or LF, a NUL
 * or other control byte in a value, obs-fold, a version other than 1.0 and 1.1 (505), CONNECT
 * (501), a target outside the origin, absolute (RFC 3986, no userinfo) and `OPTIONS *`
 * forms, a second Host or one outside the authority grammar, Content-Length values that are
 * not one number, Transfer-Encoding beside a length, in HTTP/1.0, or other than a lone
 * `chunked`; at the blank line, an HTTP/1.1 head without Host (RFC 9112 §3.2). Then `head()`
 * cuts the parts it recorded into strings.
 */
export class RequestHeadScanner {
  private state = H.Method
  /** The head's first byte: where the first `scan` started. */
  private start = -1
  private end = -1
  /** Start of the part being read: the target, a header name, a header value. */
  private mark = 0
  private methodEnd = 0
  private targetStart = 0
  private targetEnd = 0
  private protocol = 0
  private http10 = false
  private nameEnd = 0
  /** Just past the last byte of the value that is not OWS. */
  private valueEnd = 0
  private field = Field.Other
  private host = false
  private contentLength = -1
  private transferEncoding = false
  /** Per header line: name start, name end, value start, value end. */
  private lines: Int32Array = new Int32Array(64)
  private count = 0

  /** Forgets the last head, to read a new one. */
  reset(): void {
    this.state = H.Method
    this.start = -1
    this.end = -1
    this.count = 0
    this.host = false
    this.contentLength = -1
    this.transferEncoding = false
  }

  /**
   * Reads `buf[from, to)`, the head's next bytes (the first call's `from` is its start; a
   * buffer that grew between calls must keep the earlier bytes where they were). Returns the
   * index just past the blank line, or -1 when the head goes on past `to`.
   */
  scan(buf: Buffer, from: number, to: number): number {
    if (this.start < 0) this.start = from
    if (this.state === H.Done) return this.end
    const limit = Math.min(to, this.start + MAX_HEAD_BYTES)
    let i = from
    while (i < limit) {
      switch (this.state) {
        case H.Method: {
          while (i < limit && (CHARS[buf[i]!]! & TCHAR) !== 0) i++
          if (i === limit) break
          if (buf[i] !== 32 || i === this.start) {
            this.fail('bad_request_line', `${what(buf[i]!)} in the method`, i)
          }
          this.methodEnd = i
          if (is(buf, this.start, i, 'CONNECT')) {
            // A tunnel to wherever the client names is not a route; Linkerd 1 had none either.
            throw new HttpParseError(
              'unsupported_method',
              'CONNECT is not supported',
              this.start,
              501,
            )
          }
          this.targetStart = ++i
          this.state = H.Target
          break
        }
        case H.Target: {
          while (i < limit && (CHARS[buf[i]!]! & TARGET) !== 0) i++
          if (i === limit) break
          if (buf[i] === 35) this.fail('bad_target', 'A fragment (#) in the request target', i)
          if (buf[i] !== 32 || i === this.targetStart) {
            this.fail('bad_request_line', `${what(buf[i]!)} in the request target`, i)
          }
          this.targetEnd = i
          checkTarget(buf, this.targetStart, i, is(buf, this.start, this.methodEnd, 'OPTIONS'))
          this.protocol = 0
          this.state = H.Protocol
          i++
          break
        }
        case H.Protocol:
          if (buf[i] !== PROTOCOL[this.protocol]) {
            this.fail('bad_request_line', 'Malformed request line: HTTP/1.1 expected', i)
          }
          i++
          if (++this.protocol === PROTOCOL.length) this.state = H.Major
          break
        case H.Major: {
          const c = buf[i]!
          if (c !== 49) {
            if (c >= 48 && c <= 57) {
              throw new HttpParseError(
                'unsupported_version',
                `HTTP version ${c - 48} is not supported; send HTTP/1.1`,
                i,
                505,
              )
            }
            this.fail('bad_request_line', 'Malformed request line: HTTP/1.1 expected', i)
          }
          i++
          this.state = H.Dot
          break
        }
        case H.Dot:
          if (buf[i] !== 46) this.fail('bad_request_line', 'Malformed HTTP version', i)
          i++
          this.state = H.Minor
          break
        case H.Minor: {
          const c = buf[i]!
          if (c !== 48 && c !== 49) {
            if (c >= 50 && c <= 57) {
              throw new HttpParseError(
                'unsupported_version',
                `HTTP/1.${c - 48} is not supported; send HTTP/1.1`,
                i,
                505,
              )
            }
            this.fail('bad_request_line', 'Malformed HTTP version', i)
          }
          this.http10 = c === 48
          i++
          this.state = H.LineCr
          break
        }
        case H.LineCr:
          if (buf[i] !== 13) this.fail('bad_request_line', `${what(buf[i]!)} after the version`, i)
          i++
          this.state = H.LineLf
          break
        case H.LineLf:
          if (buf[i] !== 10) this.fail('bad_request_line', 'Bare CR in the request line', i - 1)
          i++
          this.state = H.FieldStart
          break
        case H.FieldStart: {
          const c = buf[i]!
          if (c === 13) this.state = H.HeadLf
          else if ((CHARS[c]! & TCHAR) !== 0) {
            this.mark = i
            this.state = H.Name
          } else if (c === 32 || c === 9) {
            this.fail(
              'bad_header',
              'Folded header line (obs-fold); send each header on one line',
              i,
            )
          } else this.fail('bad_header', `${what(c)} at the start of a header line`, i)
          i++
          break
        }
        case H.Name: {
          while (i < limit && (CHARS[buf[i]!]! & TCHAR) !== 0) i++
          if (i === limit) break
          const c = buf[i]!
          if (c !== 58) {
            // RFC 9112 §5.1: no whitespace between a field name and its colon.
            if (c === 32 || c === 9)
              this.fail('bad_header', 'Whitespace before the colon of a header', i)
            if (c === 13 || c === 10) this.fail('bad_header', 'Header line without a colon', i)
            this.fail('bad_header', `${what(c)} in a header name`, i)
          }
          this.nameEnd = i
          this.field = classify(buf, this.mark, i)
          if (this.field === Field.Host && this.host) {
            // RFC 9112 §3.2: parts of a stack could read different ones.
            throw new HttpParseError('bad_host', 'More than one Host header', this.mark)
          }
          i++
          this.state = H.Ows
          break
        }
        case H.Ows:
          while (i < limit && (buf[i] === 32 || buf[i] === 9)) i++
          if (i === limit) break
          this.lines = record(this.lines, this.count, this.mark, this.nameEnd, i)
          this.mark = i
          this.valueEnd = i
          this.state = H.Value
          break
        case H.Value: {
          let end = this.valueEnd
          if (this.field === Field.Other) {
            for (; i < limit; i++) {
              const c = buf[i]!
              if ((CHARS[c]! & FIELD_VCHAR) !== 0) end = i + 1
              else if (c !== 32 && c !== 9) break
            }
          } else {
            for (; i < limit; i++) {
              const c = buf[i]!
              if ((CHARS[c]! & FIELD_VCHAR) !== 0) {
                this.fieldByte(buf, c, i, end)
                end = i + 1
              } else if (c !== 32 && c !== 9) break
            }
          }
          this.valueEnd = end
          if (i === limit) break
          const c = buf[i]!
          if (c !== 13) {
            const name = buf.toString('latin1', this.lines[this.count * 4]!, this.nameEnd)
            this.fail('bad_header', `${what(c)} in the value of header ${name}`, i)
          }
          i++
          this.state = H.ValueLf
          break
        }
        case H.ValueLf:
          if (buf[i] !== 10) this.fail('bad_header', 'Bare CR in a header line', i - 1)
          this.lines[this.count * 4 + 3] = this.valueEnd
          if (this.field !== Field.Other) this.checkField(buf)
          this.count++
          i++
          this.state = H.FieldStart
          break
        case H.HeadLf:
          if (buf[i] !== 10) this.fail('bad_header', 'Bare CR in the message head', i - 1)
          if (!this.host && !this.http10) {
            // RFC 9112 §3.2: a server MUST answer 400 (HTTP/1.0 may lack it).
            throw new HttpParseError('bad_host', 'HTTP/1.1 request without a Host header', i - 1)
          }
          this.state = H.Done
          this.end = i + 1
          return this.end
      }
    }
    if (limit < to || limit - this.start >= MAX_HEAD_BYTES) {
      throw new HttpParseError(
        'head_too_large',
        `Request head larger than ${MAX_HEAD_BYTES} bytes`,
        MAX_HEAD_BYTES,
        431,
      )
    }
    return -1
  }

  /** The head the last `scan` found the end of, in strings; `buf` is the buffer it read. */
  head(buf: Buffer): RequestHead {
    const start = this.start
    const text = buf.toString('latin1', start, this.end)
    const headers = new HeaderObject()
    const lines = this.lines
    for (let n = 0, k = 0; n < this.count; n++, k += 4) {
      const key = text.slice(lines[k]! - start, lines[k + 1]! - start).toLowerCase()
      const value = text.slice(lines[k + 2]! - start, lines[k + 3]! - start)
      const prev = headers[key]
      if (prev === undefined) headers[key] = value
      else if (typeof prev === 'string') headers[key] = [prev, value]
      else prev.push(value)
    }
    return {
      method: text.slice(0, this.methodEnd - start),
      url: text.slice(this.targetStart - start, this.targetEnd - start),
      httpVersion: this.http10 ? '1.0' : '1.1',
      headers,
    }
  }

  /**
   * A byte of a Host or Content-Length value, refused as soon as it arrives when it is out of
   * the value's grammar or follows whitespace inside the value (`end`: just past the value's
   * last non-space byte before this one).
   */
  private fieldByte(buf: Buffer, c: number, i: number, end: number): void {
    if (this.field === Field.Host) {
      if (end !== i) this.fail('bad_host', 'Whitespace in the Host header', end)
      // reg-name, IP-literal and port bytes; their order is checked at the line's end.
      if ((CHARS[c]! & REG_NAME) === 0 && c !== 37 && c !== 58 && c !== 91 && c !== 93) {
        this.fail('bad_host', `${what(c)} in the Host header`, i)
      }
    } else if (this.field === Field.ContentLength) {
      if ((c < 48 || c > 57) && c !== 44)
        this.fail('bad_framing', `Invalid Content-Length: ${what(c)}`, i)
      if (end !== i && c !== 44 && buf[end - 1] !== 44) {
        this.fail('bad_framing', 'Invalid Content-Length: whitespace inside a number', end)
      }
    }
  }

  /** A complete Host, Content-Length or Transfer-Encoding line (RFC 9112 §3.2, §6). */
  private checkField(buf: Buffer): void {
    const k = this.count * 4
    const from = this.lines[k + 2]!
    const to = this.lines[k + 3]!
    switch (this.field) {
      case Field.Host: {
        const bad = badAuthority(buf, from, to)
        if (bad >= 0) this.fail('bad_host', 'Invalid Host header: not host[:port]', bad)
        this.host = true
        break
      }
      case Field.ContentLength: {
        if (this.transferEncoding) {
          this.fail('bad_framing', 'Both Transfer-Encoding and Content-Length', this.lines[k]!)
        }
        const n = parseContentLength(buf.toString('latin1', from, to))
        if (n === undefined) this.fail('bad_framing', 'Invalid Content-Length', from)
        if (this.contentLength >= 0 && n !== this.contentLength) {
          this.fail('bad_framing', 'Content-Length values disagree', from)
        }
        this.contentLength = n
        break
      }
      case Field.TransferEncoding: {
        const at = this.lines[k]!
        if (this.contentLength >= 0) {
          this.fail('bad_framing', 'Both Transfer-Encoding and Content-Length', at)
        }
        if (this.http10) this.fail('bad_framing', 'Transfer-Encoding in an HTTP/1.0 request', at)
        if (this.transferEncoding) {
          this.fail('bad_framing', 'Transfer-Encoding repeated: chunked must come once, last', at)
        }
        const value = buf.toString('latin1', from, to)
        const lower = value.toLowerCase()
        if (lower !== 'chunked') {
          // Only a lone chunked: a server behind could read any other list differently.
          const codings = lower.split(',').map((c) => trimOws(c))
          const last = codings.length - 1
          if (
            codings[last] !== 'chunked' ||
            codings.indexOf('chunked') !== last ||
            codings.some((c) => !TOKEN.test(c))
          ) {
            this.fail('bad_framing', 'Transfer-Encoding must end with chunked, applied once', from)
          }
          throw new HttpParseError(
            'unsupported_coding',
            `Transfer-Encoding ${JSON.stringify(value)} is not supported; send chunked alone`,
            from,
            501,
          )
        }
        this.transferEncoding = true
        break
      }
    }
  }

  private fail(code: HttpErrorCode, reason: string, at: number): never {
    throw new HttpParseError(code, reason, at)
  }
}

/** Stores one header line's offsets at line `n`, growing the array when it is full. */
function record(
  lines: Int32Array,
  n: number,
  nameStart: number,
  nameEnd: number,
  valueStart: number,
): Int32Array {
  let out = lines
  if (n * 4 + 4 > out.length) {
    out = new Int32Array(out.length * 2)
    out.set(lines)
  }
  out[n * 4] = nameStart
  out[n * 4 + 1] = nameEnd
  out[n * 4 + 2] = valueStart
  return out
}

function classify(buf: Buffer, from: number, to: number): Field {
  switch (to - from) {
    case 4:
      return is(buf, from, to, 'host', true) ? Field.Host : Field.Other
    case 14:
      return is(buf, from, to, 'content-length', true) ? Field.ContentLength : Field.Other
    case 17:
      return is(buf, from, to, 'transfer-encoding', true) ? Field.TransferEncoding : Field.Other
    default:
      return Field.Other
  }
}

/** Whether `buf[from, to)` is `text` (lower case; with `anyCase`, ASCII case-insensitively). */
function is(buf: Buffer, from: number, to: number, text: string, anyCase = false): boolean {
  if (to - from !== text.length) return false
  for (let i = 0; i < text.length; i++) {
    const c = buf[from + i]!
    if ((anyCase && c >= 65 && c <= 90 ? c + 32 : c) !== text.charCodeAt(i)) return false
  }
  return true
}

/** ASCII case-insensitive comparison of `buf[from, to)` with lower-case `text`. */
export function equalsIgnoreCase(buf: Buffer, from: number, to: number, text: string): boolean {
  return is(buf, from, to, text, true)
}

/** A byte named for an error message. */
function what(c: number): string {
  if (c === 10) return 'Bare LF'
  if (c === 13) return 'Bare CR'
  if (c === 0) return 'NUL'
  if (c === 32) return 'Unexpected space'
  if (c < 32 || c >= 127) return `Invalid byte 0x${c.toString(16).padStart(2, '0')}`
  return `Invalid character ${JSON.stringify(String.fromCharCode(c))}`
}

/**
 * A request-target (RFC 9112 §3.2) in `buf[from, to)`, whose bytes are VCHAR but "#": origin form
 * (`/path?query`), `*` for OPTIONS, or absolute form by RFC 3986: `http` or `https` (any
 * case), `://`, an authority without userinfo and with a host (RFC 9110 §4.2.1), then
 * path-abempty and an optional query, and no fragment.
 */
function checkTarget(buf: Buffer, from: number, to: number, options: boolean): void {
  const c0 = buf[from]
  if (c0 === 47) return
  if (c0 === 42 && to === from + 1 && options) return
  // scheme "://": http or https, in any case (RFC 3986 §3.1).
  let i = from + 4
  if (!is(buf, from, i, 'http', true)) {
    throw targetError(buf, from, to, 'is neither a path nor an http URL', from)
  }
  if (buf[i] === 83 || buf[i] === 115) i++
  if (buf[i] !== 58 || buf[i + 1] !== 47 || buf[i + 2] !== 47 || i + 3 > to) {
    throw targetError(buf, from, to, 'is neither a path nor an http URL', from)
  }
  i += 3
  const authority = i
  while (i < to && buf[i] !== 47 && buf[i] !== 63 && buf[i] !== 35) {
    if (buf[i] === 64) {
      throw targetError(buf, from, to, 'has userinfo (user@), which is not allowed', i)
    }
    i++
  }
  if (i === authority || buf[authority] === 58) {
    throw targetError(buf, from, to, 'has no host', authority)
  }
  const bad = badAuthority(buf, authority, i)
  if (bad >= 0) throw targetError(buf, from, to, 'has an invalid authority', bad)
  // path-abempty, then "?" query: pchar, "/", and "?" in the query; pct-encoded.
  for (; i < to; i++) {
    const c = buf[i]!
    if ((CHARS[c]! & PCHAR) !== 0 || c === 47 || c === 63) continue
    if (c === 37 && isHex(buf[i + 1]) && isHex(buf[i + 2]) && i + 2 < to) {
      i += 2
      continue
    }
    throw targetError(buf, from, to, `has ${what(c).toLowerCase()}`, i)
  }
}

function targetError(
  buf: Buffer,
  from: number,
  to: number,
  why: string,
  at: number,
): HttpParseError {
  const target = buf.toString('latin1', from, Math.min(to, from + 80))
  return new HttpParseError('bad_target', `Request target ${JSON.stringify(target)} ${why}`, at)
}

const isHex = (c: number | undefined): boolean => c !== undefined && (CHARS[c]! & HEXDIG) !== 0

/**
 * Where `buf[from, to)` stops being `host [ ":" port ]` by RFC 3986 §3.2.2–3: a reg-name
 * (unreserved, sub-delims, pct-encoded; an IPv4 address is one), or an IPv6 or IPvFuture
 * literal in brackets, then digits after a colon. -1 when all of it is.
 */
function badAuthority(buf: Buffer, from: number, to: number): number {
  let i = from
  if (buf[i] === 91) {
    let close = i + 1
    while (close < to && buf[close] !== 93) close++
    if (close === to) return to
    if (!isIpLiteral(buf.toString('latin1', i + 1, close))) return i + 1
    i = close + 1
  } else {
    while (i < to) {
      const c = buf[i]!
      if ((CHARS[c]! & REG_NAME) !== 0) i++
      else if (c === 37 && i + 2 < to && isHex(buf[i + 1]) && isHex(buf[i + 2])) i += 3
      else break
    }
  }
  if (i === to) return -1
  if (buf[i] !== 58) return i
  for (i++; i < to; i++) if (buf[i]! < 48 || buf[i]! > 57) return i
  return -1
}

const IPV_FUTURE = /^v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/

function isIpLiteral(text: string): boolean {
  // IPv6address (no zone: RFC 3986 has none) or IPvFuture.
  if (/^[0-9A-Fa-f:.]+$/.test(text)) return isIPv6(text)
  return IPV_FUTURE.test(text)
}

/**
 * A Content-Length value (RFC 9110 §8.6): digits, or a comma-separated list of the same
 * number (`5, 5`), which a recipient may take as that number. Leading zeros are fine; a value
 * past 2^53 - 1, an empty element or anything else is undefined.
 */
export function parseContentLength(value: string): number | undefined {
  let n: number | undefined
  let x = -1
  let i = 0
  const len = value.length
  for (;;) {
    while (i < len && (value.charCodeAt(i) === 32 || value.charCodeAt(i) === 9)) i++
    x = -1
    for (; i < len; i++) {
      const d = value.charCodeAt(i) - 48
      if (d < 0 || d > 9) break
      x = x < 0 ? d : x * 10 + d
      if (x > Number.MAX_SAFE_INTEGER) return undefined
    }
    if (x < 0 || (n !== undefined && n !== x)) return undefined
    n = x
    while (i < len && (value.charCodeAt(i) === 32 || value.charCodeAt(i) === 9)) i++
    if (i === len) return n
    if (value.charCodeAt(i) !== 44) return undefined
    i++
  }
}

const SCANNER = new RequestHeadScanner()

/** The request head in `buf[start, end)`, `end` just past its blank line (as findHeadEnd gives it). */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  SCANNER.reset()
  const found = SCANNER.scan(buf, start, end)
  if (found !== end) {
    throw new HttpParseError('bad_header', 'The head does not end where its blank line is', end)
  }
  return SCANNER.head(buf)
}

/** A whole token (RFC 9110 §5.6.2), for strings off the byte scanners' path. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// field-value: visible ASCII, obs-text, SP and HTAB; never CR, LF or NUL (RFC 9110 §5.5).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/

/** The response head in `buf[start, end)`. */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  const text = buf.toString('latin1', start, end - 4)
  const eol = lineEnd(text, 0)
  const line = text.slice(0, eol)
  const m = STATUS_LINE.exec(line)
  if (m === null) {
    throw new HttpParseError('bad_status_line', `Malformed status line ${show(line)}`, start)
  }
  return {
    status: Number(m[2]),
    reason: m[3] ?? '',
    httpVersion: m[1] === '0' ? '1.0' : '1.1',
    headers: parseFields(text, eol, start),
  }
}

/** The header lines after the start line; `pos` is at the start line's CRLF (or the end). */
function parseFields(text: string, pos: number, base: number): HeaderMap {
  const headers = new HeaderObject()
  while (pos < text.length) {
    const from = pos + 2
    const eol = lineEnd(text, from)
    const colon = text.indexOf(':', from)
    if (colon < 0 || colon >= eol) {
      const c = text.charCodeAt(from)
      const what =
        c === 32 || c === 9 ? 'Folded header line (obs-fold)' : 'Header line without a colon'
      throw new HttpParseError('bad_header', `${what}: ${show(text.slice(from, eol))}`, base + from)
    }
    const name = text.slice(from, colon)
    if (!TOKEN.test(name)) {
      // Also catches `Name : value`, which RFC 9112 §5.1 says must be rejected.
      throw new HttpParseError('bad_header', `Invalid header name ${show(name)}`, base + from)
    }
    const value = trimOws(text, colon + 1, eol)
    if (!FIELD_VALUE.test(value)) {
      throw new HttpParseError(
        'bad_header',
        `Invalid character in the value of header ${name}`,
        base + colon + 1,
      )
    }
    const key = name.toLowerCase()
    const prev = headers[key]
    if (prev === undefined) headers[key] = value
    else if (typeof prev === 'string') headers[key] = [prev, value]
    else prev.push(value)
    pos = eol
  }
  return headers
}

/** The CRLF ending the line at `from`; a lone CR or LF inside it is an error. */
function lineEnd(text: string, from: number): number {
  const crlf = text.indexOf('\r\n', from)
  const end = crlf < 0 ? text.length : crlf
  const lf = text.indexOf('\n', from)
  const cr = text.indexOf('\r', from)
  if ((lf >= 0 && lf < end) || (cr >= 0 && cr < end)) {
    const at = lf >= 0 && lf < end ? lf : cr
    throw new HttpParseError('bad_header', 'Bare CR or LF in the message head', at)
  }
  return end
}

/**
 * `text[from, to)` without the spaces and tabs around it (OWS, RFC 9110 §5.6.3); String.trim
 * would also drop a 0xA0 byte, which no other parser takes for space. `text` itself when there
 * is nothing to cut.
 */
export function trimOws(text: string, from = 0, to = text.length): string {
  let a = from
  let b = to
  while (a < b && (text.charCodeAt(a) === 32 || text.charCodeAt(a) === 9)) a++
  while (b > a && (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === 9)) b--
  return a === 0 && b === text.length ? text : text.slice(a, b)
}

/**
 * Header objects have no Object.prototype behind them, so a header named `__proto__` or
 * `constructor` is only a header; made with `new`, unlike Object.create(null), they stay
 * V8 fast-mode objects that share hidden classes across requests with the same headers.
 */
const HeaderObject = function HeaderObject() {} as unknown as new () => HeaderMap
HeaderObject.prototype = Object.create(null)

/** An empty header object of the same kind (no prototype), for headers built by the proxy. */
export const newHeaderMap = (): HeaderMap => new HeaderObject()

const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s)

/**
 * Whether a comma-separated header value (`Connection`, already lower-cased) lists `token`
 * as one whole element: `x-close-y` does not list `close`.
 */
export function hasToken(list: string, token: string): boolean {
  // Per request (most clients send Connection: keep-alive), so without splitting the value.
  for (let i = list.indexOf(token); i >= 0; i = list.indexOf(token, i + 1)) {
    if (listEdge(list, i - 1, -1) && listEdge(list, i + token.length, 1)) return true
  }
  return false
}

/** Whether only whitespace lies between `i` (walking by `step`) and a comma or the end. */
function listEdge(list: string, i: number, step: 1 | -1): boolean {
  while (i >= 0 && i < list.length && (list.charCodeAt(i) === 32 || list.charCodeAt(i) === 9))
    i += step
  return i < 0 || i >= list.length || list.charCodeAt(i) === 44
}

/** The first value of a header. */
export function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/** Every value of a header, comma-joined (RFC 9110 §5.3). */
export function joined(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v
}
