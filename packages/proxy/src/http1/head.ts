// HTTP/1.1 message heads (RFC 9112 §2–5), parsed strictly: a proxy that is more lenient than
// the servers behind it is how request smuggling starts, so anything ambiguous is refused.
// Header names are lower-cased; a repeated header becomes an array in arrival order, so a
// proxy can send it on as it came (and dtab headers are never joined with commas).

/** Header values by lower-case name; a header that came more than once is an array. */
export type HeaderMap = Record<string, string | string[] | undefined>

export type HttpVersion = '1.0' | '1.1'

export interface RequestHead {
  readonly method: string
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
    message: string,
    readonly offset: number,
    /** What a server answers: 400, 431 (head too large), 501 (coding), 505 (version). */
    readonly status: 400 | 431 | 501 | 505 = 400,
  ) {
    super(`${message} (at byte ${offset})`)
  }
}

/** Node's default limit for a whole head, request line and headers. */
export const MAX_HEAD_BYTES = 16 * 1024

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// field-value: visible ASCII, obs-text, SP and HTAB; never CR, LF or NUL (RFC 9110 §5.5).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/

/**
 * Where the head that starts at `start` ends: the index just past its blank line, or -1 when
 * it is not all here yet. `from` lets a caller resume the search in a growing buffer.
 */
export function findHeadEnd(buf: Buffer, start: number, from = start): number {
  const i = buf.indexOf('\r\n\r\n', Math.max(start, from - 3), 'latin1')
  return i < 0 ? -1 : i + 4
}

/** The request head in `buf[start, end)`, `end` as findHeadEnd gives it. */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  const text = buf.toString('latin1', start, end - 4)
  const eol = lineEnd(text, 0)
  const line = text.slice(0, eol)
  const m = REQUEST_LINE.exec(line)
  if (m === null) {
    throw new HttpParseError('bad_request_line', `Malformed request line ${show(line)}`, start)
  }
  if (m[3] !== '1' || (m[4] !== '0' && m[4] !== '1')) {
    throw new HttpParseError(
      'unsupported_version',
      `HTTP/${m[3]}.${m[4]} is not supported; send HTTP/1.1`,
      start + line.length - 8,
      505,
    )
  }
  return {
    method: m[1]!,
    url: m[2]!,
    httpVersion: m[4] === '0' ? '1.0' : '1.1',
    headers: parseFields(text, eol, start),
  }
}

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

function trimOws(text: string, from: number, to: number): string {
  let a = from
  let b = to
  while (a < b && (text.charCodeAt(a) === 32 || text.charCodeAt(a) === 9)) a++
  while (b > a && (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === 9)) b--
  return text.slice(a, b)
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
