// Where a message body ends (RFC 9112 §6). The proxy passes bodies through byte for byte, in
// the framing they came in, so it never decodes them; it only has to know where each ends, to
// keep the connection for the next message.
import { type HeaderMap, HttpParseError, joined } from './head.js'

export type Framing =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** A response read until the connection closes (no length, not chunked). */
  | { readonly kind: 'close' }

export const NO_BODY: Framing = Object.freeze({ kind: 'none' })
const CHUNKED: Framing = Object.freeze({ kind: 'chunked' })
const CLOSE: Framing = Object.freeze({ kind: 'close' })

const DIGITS = /^\d{1,15}$/

/**
 * A request's body framing. Both Transfer-Encoding and Content-Length, a coding other than
 * chunked, or Content-Lengths that disagree are refused: servers behind us might read them
 * differently (RFC 9112 §6.1, §6.3).
 */
export function requestFraming(headers: HeaderMap, http10: boolean): Framing {
  const te = headers['transfer-encoding']
  const cl = headers['content-length']
  if (te !== undefined) {
    if (cl !== undefined) {
      throw new HttpParseError('bad_framing', 'Both Transfer-Encoding and Content-Length', 0)
    }
    if (http10) {
      throw new HttpParseError('bad_framing', 'Transfer-Encoding in an HTTP/1.0 request', 0)
    }
    return codingFraming(te, 'request')
  }
  if (cl === undefined) return NO_BODY
  return lengthFraming(cl)
}

/** A response's body framing, given the request's method (RFC 9112 §6.3). */
export function responseFraming(method: string, status: number, headers: HeaderMap): Framing {
  return responseBody(method, status, headers).framing
}

/** Where a response's body ends, and the framing headers the client is sent for it. */
export interface ResponseBody {
  readonly framing: Framing
  /**
   * The Transfer-Encoding the client is sent: the backend's codings, lower-cased and comma
   * joined, when the body goes out transfer-coded (chunked, or read to the close).
   */
  readonly codings: string | undefined
  /** The Content-Length the client is sent (for HEAD and 304, the representation's). */
  readonly length: number | undefined
}

/** 1xx and 204: no body, and no framing header either (RFC 9110 §8.6). */
const NONE_AT_ALL: ResponseBody = Object.freeze({
  framing: NO_BODY,
  codings: undefined,
  length: undefined,
})

/**
 * A response's framing by RFC 9112 §6.3, and what the client is told of it; the proxy writes
 * these headers itself, never copies them. Refused (HttpParseError, a 502 to the client):
 * Transfer-Encoding beside Content-Length, which §6.3 says ought to be handled as an error
 * (nginx and llhttp refuse it too); a coding list that is not a list of tokens, or that names
 * chunked more than once (§6.1); a Content-Length that is not one number. A present
 * Transfer-Encoding decides: chunked as the final coding frames the body, otherwise it runs
 * until the backend closes.
 */
export function responseBody(method: string, status: number, headers: HeaderMap): ResponseBody {
  const te = headers['transfer-encoding']
  const cl = headers['content-length']
  if (te !== undefined && cl !== undefined) {
    throw new HttpParseError('bad_framing', 'Both Transfer-Encoding and Content-Length', 0)
  }
  const codings = te === undefined ? undefined : transferCodings(te)
  const length = cl === undefined ? undefined : contentLength(cl)
  if (cl !== undefined && length === undefined) {
    throw new HttpParseError(
      'bad_framing',
      `Invalid Content-Length ${JSON.stringify(joined(cl))}`,
      0,
    )
  }
  if (method === 'HEAD' || status === 304) return { framing: NO_BODY, codings: undefined, length }
  if (status < 200 || status === 204) return NONE_AT_ALL
  if (codings !== undefined) {
    const framing = codings[codings.length - 1] === 'chunked' ? CHUNKED : CLOSE
    return { framing, codings: codings.join(', '), length: undefined }
  }
  if (length === undefined) return { framing: CLOSE, codings: undefined, length: undefined }
  return {
    framing: length === 0 ? NO_BODY : { kind: 'length', length },
    codings: undefined,
    length,
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * The codings of a response's Transfer-Encoding, lower-cased, in the order applied. Each list
 * element is a whole token (`xchunked` is not chunked); empty elements are ignored (RFC 9110
 * §5.6.1); parameters, an empty list and chunked twice are refused.
 */
function transferCodings(te: string | string[]): string[] {
  const value = joined(te) ?? ''
  const codings: string[] = []
  let chunked = false
  for (const raw of value.split(',')) {
    // OWS only: String.trim would also drop a 0xA0 byte, which no other parser takes for space.
    const coding = trimOws(raw).toLowerCase()
    if (coding === '') continue
    if (!TOKEN.test(coding)) {
      throw new HttpParseError(
        'bad_framing',
        `Invalid Transfer-Encoding ${JSON.stringify(value)}: ${JSON.stringify(coding)} is not a coding name`,
        0,
      )
    }
    if (coding === 'chunked') {
      if (chunked) {
        throw new HttpParseError(
          'bad_framing',
          `Invalid Transfer-Encoding ${JSON.stringify(value)}: chunked applied twice`,
          0,
        )
      }
      chunked = true
    }
    codings.push(coding)
  }
  if (codings.length === 0) {
    throw new HttpParseError('bad_framing', 'Transfer-Encoding names no coding', 0)
  }
  return codings
}

/** Without the spaces and tabs around it (OWS, RFC 9110 §5.6.3). */
function trimOws(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}

function lengthFraming(cl: string | string[]): Framing {
  const n = contentLength(cl)
  if (n === undefined) {
    throw new HttpParseError(
      'bad_framing',
      `Invalid Content-Length ${JSON.stringify(joined(cl))}`,
      0,
    )
  }
  return n === 0 ? NO_BODY : { kind: 'length', length: n }
}

function codingFraming(te: string | string[], side: 'request' | 'response'): Framing {
  const codings = (joined(te) ?? '')
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
  if (codings[codings.length - 1] !== 'chunked') {
    // A response whose last coding is not chunked runs until close; a request cannot.
    if (side === 'response') return CLOSE
    throw new HttpParseError('bad_framing', 'Transfer-Encoding must end with chunked', 0)
  }
  if (codings.length > 1) {
    // gzip, chunked and the like: legal, but no client of a mesh sends it; refuse, not guess.
    if (side === 'request') {
      throw new HttpParseError(
        'unsupported_coding',
        `Transfer-Encoding ${JSON.stringify(joined(te))} is not supported; send chunked alone`,
        0,
        501,
      )
    }
  }
  return CHUNKED
}

/** Content-Length: digits, and when repeated (or a list), every value the same. */
function contentLength(cl: string | string[]): number | undefined {
  const values = (Array.isArray(cl) ? cl.join(',') : cl).split(',')
  let n: number | undefined
  for (const raw of values) {
    const v = trimOws(raw)
    if (!DIGITS.test(v)) return undefined
    const x = Number(v)
    if (n !== undefined && n !== x) return undefined
    n = x
  }
  return n
}

enum S {
  Size,
  SizeMore,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  FinalLf,
  Done,
}

const MAX_SIZE_DIGITS = 13 // 2^52: stays an exact integer

/**
 * Follows a chunked body (RFC 9112 §7.1) through the bytes that pass, without copying them:
 * chunk data is skipped by count, so a large chunk costs nothing per byte.
 */
export class ChunkedScanner {
  private state = S.Size
  private size = 0
  private digits = 0
  private remaining = 0
  /** Bytes scanned in total, for error offsets. */
  private seen = 0
  /** Chunk data bytes, framing left out: the body's size. */
  data = 0

  get done(): boolean {
    return this.state === S.Done
  }

  /**
   * Scans `buf[start, end)`; returns the index just past the body's last byte, or -1 when the
   * body goes on past `end`. Throws HttpParseError on a malformed chunk.
   */
  scan(buf: Buffer, start = 0, end = buf.length): number {
    let i = start
    while (i < end) {
      switch (this.state) {
        case S.Data: {
          const n = Math.min(this.remaining, end - i)
          this.remaining -= n
          this.data += n
          i += n
          if (this.remaining === 0) this.state = S.DataCr
          continue
        }
        case S.Size:
        case S.SizeMore: {
          const h = hexValue(buf[i]!)
          if (h >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) this.fail('Chunk size too large', i, start)
            this.size = this.size * 16 + h
            this.state = S.SizeMore
          } else if (this.state === S.Size) {
            this.fail('Chunk size expected', i, start)
          } else if (buf[i] === 13) this.state = S.SizeLf
          else if (buf[i] === 59 || buf[i] === 32 || buf[i] === 9) this.state = S.Ext
          else this.fail('Invalid character in a chunk size', i, start)
          break
        }
        case S.Ext:
          if (buf[i] === 13) this.state = S.SizeLf
          else if (buf[i] === 10) this.fail('Bare LF in a chunk extension', i, start)
          break
        case S.SizeLf:
          if (buf[i] !== 10) this.fail('LF expected after a chunk size', i, start)
          if (this.size === 0) this.state = S.TrailerStart
          else {
            this.remaining = this.size
            this.state = S.Data
          }
          this.size = 0
          this.digits = 0
          break
        case S.DataCr:
          if (buf[i] !== 13) this.fail('CRLF expected after chunk data', i, start)
          this.state = S.DataLf
          break
        case S.DataLf:
          if (buf[i] !== 10) this.fail('CRLF expected after chunk data', i, start)
          this.state = S.Size
          break
        case S.TrailerStart:
          this.state = buf[i] === 13 ? S.FinalLf : S.Trailer
          break
        case S.Trailer:
          if (buf[i] === 13) this.state = S.TrailerLf
          else if (buf[i] === 10) this.fail('Bare LF in a trailer', i, start)
          break
        case S.TrailerLf:
          if (buf[i] !== 10) this.fail('LF expected after a trailer', i, start)
          this.state = S.TrailerStart
          break
        case S.FinalLf:
          if (buf[i] !== 10) this.fail('LF expected at the end of a chunked body', i, start)
          this.state = S.Done
          this.seen += i + 1 - start
          return i + 1
        case S.Done:
          return i
      }
      i++
    }
    this.seen += end - start
    return -1
  }

  private fail(message: string, i: number, start: number): never {
    throw new HttpParseError('bad_chunk', message, this.seen + i - start)
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Follows any framing; `remaining` counts down a length, the scanner follows chunks. */
export class BodyCursor {
  private remaining: number
  private readonly chunks: ChunkedScanner | undefined
  /** Bytes of body passed so far (framing bytes included for chunked). */
  bytes = 0

  /** The body's own bytes so far, chunk framing left out. */
  get payload(): number {
    return this.chunks === undefined ? this.bytes : this.chunks.data
  }

  constructor(readonly framing: Framing) {
    this.remaining = framing.kind === 'length' ? framing.length : 0
    this.chunks = framing.kind === 'chunked' ? new ChunkedScanner() : undefined
  }

  get done(): boolean {
    const kind = this.framing.kind
    if (kind === 'length') return this.remaining === 0
    if (kind === 'chunked') return this.chunks!.done
    return kind === 'none'
  }

  /** How much of `buf[start, end)` belongs to the body: the index where the body stops. */
  take(buf: Buffer, start: number, end: number): number {
    let stop: number
    switch (this.framing.kind) {
      case 'none':
        return start
      case 'length': {
        const n = Math.min(this.remaining, end - start)
        this.remaining -= n
        stop = start + n
        break
      }
      case 'chunked': {
        const i = this.chunks!.scan(buf, start, end)
        stop = i < 0 ? end : i
        break
      }
      case 'close':
        stop = end
        break
    }
    this.bytes += stop - start
    return stop
  }
}
