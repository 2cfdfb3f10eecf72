// Where a message body ends (RFC 9112 §6). The proxy passes bodies through byte for byte, in
// the framing they came in, so it never decodes them; it only has to know where each ends, to
// keep the connection for the next message.
import {
  CHARS,
  FIELD_VCHAR,
  HEXDIG,
  type HeaderMap,
  HttpParseError,
  joined,
  MAX_HEAD_BYTES,
  parseContentLength,
  QDTEXT,
  TCHAR,
  TOKEN,
  trimOws,
} from './head.js'

export type Framing =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** A response read until the connection closes (no length, not chunked). */
  | { readonly kind: 'close' }

export const NO_BODY: Framing = Object.freeze({ kind: 'none' })
const CHUNKED: Framing = Object.freeze({ kind: 'chunked' })
const CLOSE: Framing = Object.freeze({ kind: 'close' })

/**
 * A request's body framing. Both Transfer-Encoding and Content-Length, a coding other than
 * chunked, or Content-Lengths that disagree are refused: servers behind us might read them
 * differently (RFC 9112 §6.1, §6.3). The proxy's server has already refused these while the
 * head arrived (head.ts RequestHeadScanner); this reads the framing off a valid head.
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
    return requestCoding(te)
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
  /** The client is sent `transfer-encoding: chunked`: the body goes on chunked, as it came. */
  readonly chunked: boolean
  /** The Content-Length the client is sent (for HEAD and 304, the representation's). */
  readonly length: number | undefined
}

/** 1xx and 204: no body, and no framing header either (RFC 9110 §8.6). */
const NONE_AT_ALL: ResponseBody = Object.freeze({
  framing: NO_BODY,
  chunked: false,
  length: undefined,
})
const CHUNKED_BODY: ResponseBody = Object.freeze({
  framing: CHUNKED,
  chunked: true,
  length: undefined,
})
const CLOSE_BODY: ResponseBody = Object.freeze({
  framing: CLOSE,
  chunked: false,
  length: undefined,
})

/**
 * A response's framing by RFC 9112 §6.3, and what the client is told of it; the proxy writes
 * these headers itself, never copies them. A Transfer-Encoding decides: chunked as the final
 * coding frames the body, which goes on chunked; otherwise the body runs until the backend
 * closes, and goes on so, without a Transfer-Encoding (the proxy neither applies nor removes
 * other codings, and tells the client only of the framing it sends). Refused (HttpParseError,
 * a 502 to the client): Transfer-Encoding beside Content-Length, which §6.3 says ought to be
 * handled as an error (nginx and llhttp refuse it too); a coding list with an element that is
 * not a token or is empty, or that names chunked twice (§6.1); a Content-Length that is not
 * one number.
 */
export function responseBody(method: string, status: number, headers: HeaderMap): ResponseBody {
  const te = headers['transfer-encoding']
  const cl = headers['content-length']
  if (te !== undefined && cl !== undefined) {
    throw new HttpParseError('bad_framing', 'Both Transfer-Encoding and Content-Length', 0)
  }
  const chunkedLast = te === undefined ? false : endsWithChunked(te)
  const length = cl === undefined ? undefined : contentLength(cl)
  if (cl !== undefined && length === undefined) {
    throw new HttpParseError(
      'bad_framing',
      `Invalid Content-Length ${JSON.stringify(joined(cl))}`,
      0,
    )
  }
  if (method === 'HEAD' || status === 304) return { framing: NO_BODY, chunked: false, length }
  if (status < 200 || status === 204) return NONE_AT_ALL
  if (te !== undefined) return chunkedLast ? CHUNKED_BODY : CLOSE_BODY
  if (length === undefined) return CLOSE_BODY
  return { framing: length === 0 ? NO_BODY : { kind: 'length', length }, chunked: false, length }
}

/**
 * Whether a response's Transfer-Encoding ends with chunked. Repeated lines are one list (RFC
 * 9110 §5.3); elements are whole tokens compared without case (`xchunked`, `chunkedchunked`
 * are not chunked). An empty element (`chunked,`) is refused: RFC 9110 §5.6.1 would ignore it,
 * but llhttp then reads the body to the close; so is chunked twice (RFC 9112 §6.1).
 */
function endsWithChunked(te: string | string[]): boolean {
  const value = joined(te) ?? ''
  const codings = value.split(',').map((c) => trimOws(c).toLowerCase())
  for (const coding of codings) {
    if (TOKEN.test(coding)) continue
    throw new HttpParseError(
      'bad_framing',
      `Invalid Transfer-Encoding ${JSON.stringify(value)}: ${coding === '' ? 'an empty list element' : `${JSON.stringify(coding)} is not a coding name`}`,
      0,
    )
  }
  const at = codings.indexOf('chunked')
  if (at !== codings.lastIndexOf('chunked')) {
    throw new HttpParseError(
      'bad_framing',
      `Invalid Transfer-Encoding ${JSON.stringify(value)}: chunked applied twice`,
      0,
    )
  }
  return at === codings.length - 1
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

/** A request's Transfer-Encoding: chunked alone; a list ending in it is 501, else 400. */
function requestCoding(te: string | string[]): Framing {
  const codings = (joined(te) ?? '')
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
  if (codings[codings.length - 1] !== 'chunked') {
    throw new HttpParseError('bad_framing', 'Transfer-Encoding must end with chunked', 0)
  }
  if (codings.length > 1) {
    // gzip, chunked and the like: legal, but no client of a mesh sends it; refuse, not guess.
    throw new HttpParseError(
      'unsupported_coding',
      `Transfer-Encoding ${JSON.stringify(joined(te))} is not supported; send chunked alone`,
      0,
      501,
    )
  }
  return CHUNKED
}

/**
 * Content-Length: digits (leading zeros and all), and when repeated or a list, every value the
 * same; past 2^53 - 1 it is refused. One grammar with the request head's (head.ts).
 */
function contentLength(cl: string | string[]): number | undefined {
  return parseContentLength(Array.isArray(cl) ? cl.join(',') : cl)
}

enum S {
  Size,
  SizeMore,
  SizeBws,
  ExtNameStart,
  ExtName,
  ExtNameBws,
  ExtValueStart,
  ExtToken,
  ExtQuoted,
  ExtQuotedPair,
  ExtQuotedEnd,
  ExtValueBws,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  TrailerValue,
  TrailerLf,
  FinalLf,
  Done,
}

/** A chunk-size line, extensions included, longer than this is refused (node has 16 KiB). */
export const MAX_CHUNK_LINE = 4096
/** The trailer section is held to the head's limit. */
const MAX_TRAILERS = MAX_HEAD_BYTES

/**
 * Where a body's bytes go when the proxy re-frames them (a chunked request body): pieces in
 * order, views of the input or a chunk-size line of the proxy's own.
 */
export interface BodyOut {
  bodyPiece(piece: Buffer): void
}

/**
 * Follows a chunked body through the bytes that pass, without copying them: chunk data is
 * skipped by count, so a large chunk costs nothing per byte. Given a BodyOut, it also writes
 * the body on with chunk-size lines of its own (`5\r\n`: the size in hex, no leading zeros,
 * no extensions, no whitespace), so the next hop never has to read an extension, BWS or a
 * long size the way the proxy did (RFC 9110 §5.6.3: a sender does not generate BWS; transfer
 * coding is hop by hop). Data, trailers and the CRLFs between pass through as views. The
 * framing is read exactly as RFC 9112 §7.1 writes it, on both sides of the proxy:
 *
 *     chunk-size [ chunk-ext ] CRLF           chunk-size = 1*HEXDIG (leading zeros are free;
 *     chunk-data CRLF                           a value past 2^53 - 1 is refused)
 *     chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
 *     last chunk, then trailer lines: field-name ":" OWS field-value OWS CRLF, then CRLF
 *
 * Anything else is an HttpParseError at its first byte: a bare CR or LF, a NUL or other
 * control byte, whitespace not before `;` or around `=`, obs-fold or a space before the colon
 * in a trailer. A size line longer than MAX_CHUNK_LINE and trailers longer than 16 KiB are
 * refused too, so an endless extension is not followed forever.
 */
export class ChunkedScanner {
  private state = S.Size
  private size = 0
  private remaining = 0
  /** Framing bytes the current size line, or the trailer section, may still take. */
  private budget = MAX_CHUNK_LINE
  /** Bytes scanned in total, for error offsets. */
  private seen = 0
  /** Chunk data bytes, framing left out: the body's size. */
  data = 0
  /** The current trailer name's length, and whether it is still a prefix of a framing name. */
  private nameLength = 0
  private framingName = 0

  get done(): boolean {
    return this.state === S.Done
  }

  /**
   * Scans `buf[start, end)`; returns the index just past the body's last byte, or -1 when the
   * body goes on past `end`. Throws HttpParseError on a malformed chunk (before giving `out`
   * anything of this call's bytes past the last complete chunk-size line).
   */
  scan(buf: Buffer, start = 0, end = buf.length, out?: BodyOut): number {
    let i = start
    // With `out`: where the bytes not yet given to it begin; -1 inside a chunk-size line.
    let pass = this.state <= S.SizeLf ? -1 : start
    while (i < end) {
      const state = this.state
      if (state === S.Data) {
        const n = Math.min(this.remaining, end - i)
        this.remaining -= n
        this.data += n
        i += n
        if (this.remaining === 0) this.state = S.DataCr
        continue
      }
      if (state === S.Done) {
        if (out !== undefined && pass >= 0 && i > pass) out.bodyPiece(buf.subarray(pass, i))
        return i
      }
      const c = buf[i]!
      if (--this.budget < 0) {
        this.fail(
          state >= S.TrailerStart
            ? `Trailer section longer than ${MAX_TRAILERS} bytes`
            : `Chunk-size line longer than ${MAX_CHUNK_LINE} bytes`,
          i,
          start,
        )
      }
      const ows = c === 32 || c === 9
      const cls = CHARS[c]!
      switch (state) {
        case S.Size:
          if ((cls & HEXDIG) === 0) this.fail(`${what(c)}: a chunk size expected`, i, start)
          this.size = hexValue(c)
          this.state = S.SizeMore
          break
        case S.SizeMore:
          if ((cls & HEXDIG) !== 0) {
            const h = hexValue(c)
            if (this.size > (Number.MAX_SAFE_INTEGER - h) / 16) {
              this.fail('Chunk size too large', i, start)
            }
            this.size = this.size * 16 + h
          } else if (c === 13) this.state = S.SizeLf
          else if (c === 59) this.state = S.ExtNameStart
          else if (ows) this.state = S.SizeBws
          else this.fail(`${what(c)} in a chunk size`, i, start)
          break
        case S.SizeBws:
          // BWS is allowed before a ";" only: "1 ;a", never "1 " or "1 0".
          if (c === 59) this.state = S.ExtNameStart
          else if (!ows) this.fail(`${what(c)} after a chunk size; ";" expected`, i, start)
          break
        case S.ExtNameStart:
          if ((cls & TCHAR) !== 0) this.state = S.ExtName
          else if (!ows) this.fail(`${what(c)}: a chunk extension name expected`, i, start)
          break
        case S.ExtName:
          if ((cls & TCHAR) !== 0) break
          if (c === 61) this.state = S.ExtValueStart
          else if (c === 59) this.state = S.ExtNameStart
          else if (c === 13) this.state = S.SizeLf
          else if (ows) this.state = S.ExtNameBws
          else this.fail(`${what(c)} in a chunk extension name`, i, start)
          break
        case S.ExtNameBws:
          if (c === 61) this.state = S.ExtValueStart
          else if (c === 59) this.state = S.ExtNameStart
          else if (!ows) this.fail(`${what(c)} after a chunk extension name`, i, start)
          break
        case S.ExtValueStart:
          if (c === 34) this.state = S.ExtQuoted
          else if ((cls & TCHAR) !== 0) this.state = S.ExtToken
          else if (!ows) this.fail(`${what(c)}: a chunk extension value expected`, i, start)
          break
        case S.ExtToken:
          if ((cls & TCHAR) !== 0) break
          this.afterValue(c, ows, i, start)
          break
        case S.ExtQuoted:
          if (c === 34) this.state = S.ExtQuotedEnd
          else if (c === 92) this.state = S.ExtQuotedPair
          else if ((cls & QDTEXT) === 0) this.fail(`${what(c)} in a quoted string`, i, start)
          break
        case S.ExtQuotedPair:
          if ((cls & FIELD_VCHAR) === 0 && !ows) {
            this.fail(`${what(c)} after a backslash in a quoted string`, i, start)
          }
          this.state = S.ExtQuoted
          break
        case S.ExtQuotedEnd:
          this.afterValue(c, ows, i, start)
          break
        case S.ExtValueBws:
          if (c === 59) this.state = S.ExtNameStart
          else if (!ows) this.fail(`${what(c)} after a chunk extension; ";" expected`, i, start)
          break
        case S.SizeLf:
          if (c !== 10) this.fail('Bare CR in a chunk-size line', i - 1, start)
          if (out !== undefined) {
            out.bodyPiece(Buffer.from(`${this.size.toString(16)}\r\n`, 'latin1'))
            pass = i + 1
          }
          if (this.size === 0) {
            this.state = S.TrailerStart
            this.budget = MAX_TRAILERS
          } else {
            this.remaining = this.size
            this.state = S.Data
          }
          this.size = 0
          break
        case S.DataCr:
          if (c !== 13) this.fail(`${what(c)} after chunk data; CRLF expected`, i, start)
          this.state = S.DataLf
          break
        case S.DataLf:
          if (c !== 10) this.fail('Bare CR after chunk data; CRLF expected', i - 1, start)
          if (out !== undefined) {
            // The next chunk-size line is the proxy's own: what came before it goes now.
            if (i + 1 > pass) out.bodyPiece(buf.subarray(pass, i + 1))
            pass = -1
          }
          this.state = S.Size
          this.budget = MAX_CHUNK_LINE
          break
        case S.TrailerStart:
          if (c === 13) this.state = S.FinalLf
          else if ((cls & TCHAR) !== 0) {
            this.state = S.TrailerName
            this.nameLength = 1
            this.framingName = framingPrefix(FRAMING_NAMES, c, 0)
          } else if (ows) this.fail('Folded trailer line (obs-fold)', i, start)
          else this.fail(`${what(c)} at the start of a trailer line`, i, start)
          break
        case S.TrailerName:
          if ((cls & TCHAR) !== 0) {
            if (this.framingName !== 0) {
              this.framingName = framingPrefix(this.framingName, c, this.nameLength)
            }
            this.nameLength++
            break
          }
          if (c === 58) {
            // RFC 9110 §6.5.1: the framing is the head's; llhttp refuses such a trailer, and a
            // recipient that merged it into the head would read the body another way.
            if (this.framingName !== 0) {
              for (const [bit, name] of FRAMING_TRAILERS) {
                if ((this.framingName & bit) !== 0 && this.nameLength === name.length) {
                  this.fail(`${FRAMING_TITLES[bit]} in the trailer section`, i, start)
                }
              }
            }
            this.state = S.TrailerValue
          } else if (ows) this.fail('Whitespace before the colon of a trailer', i, start)
          else this.fail(`${what(c)} in a trailer name`, i, start)
          break
        case S.TrailerValue:
          if (c === 13) this.state = S.TrailerLf
          else if ((cls & FIELD_VCHAR) === 0 && !ows) {
            this.fail(`${what(c)} in a trailer value`, i, start)
          }
          break
        case S.TrailerLf:
          if (c !== 10) this.fail('Bare CR in a trailer line', i - 1, start)
          this.state = S.TrailerStart
          break
        case S.FinalLf:
          if (c !== 10) this.fail('Bare CR at the end of a chunked body', i - 1, start)
          this.state = S.Done
          this.seen += i + 1 - start
          if (out !== undefined) out.bodyPiece(buf.subarray(pass, i + 1))
          return i + 1
      }
      i++
    }
    this.seen += end - start
    if (out !== undefined && pass >= 0 && end > pass) out.bodyPiece(buf.subarray(pass, end))
    return -1
  }

  /** After an extension value: another extension, BWS before one, or the line's end. */
  private afterValue(c: number, ows: boolean, i: number, start: number): void {
    if (c === 59) this.state = S.ExtNameStart
    else if (c === 13) this.state = S.SizeLf
    else if (ows) this.state = S.ExtValueBws
    else this.fail(`${what(c)} after a chunk extension value`, i, start)
  }

  private fail(message: string, i: number, start: number): never {
    throw new HttpParseError('bad_chunk', message, this.seen + i - start, 400, ' of the body')
  }
}

/** Header names a trailer section must not carry (RFC 9110 §6.5.1), one bit each. */
const FRAMING_TRAILERS: ReadonlyArray<readonly [number, string]> = [
  [1, 'content-length'],
  [2, 'transfer-encoding'],
]
const FRAMING_TITLES: Record<number, string> = { 1: 'Content-Length', 2: 'Transfer-Encoding' }
const FRAMING_NAMES = 3

/** Which of the framing names in `bits` still match, given byte `c` (a tchar) at `at`. */
function framingPrefix(bits: number, c: number, at: number): number {
  // A tchar lower-cases with | 32 (only A-Z map to letters); "-" stays itself.
  const lower = c | 32
  let out = 0
  for (const [bit, name] of FRAMING_TRAILERS) {
    if ((bits & bit) !== 0 && name.charCodeAt(at) === lower) out |= bit
  }
  return out
}

function hexValue(c: number): number {
  if (c <= 57) return c - 48
  return (c | 32) - 87
}

/** A byte named for an error message. */
function what(c: number): string {
  if (c === 10) return 'Bare LF'
  if (c === 13) return 'Bare CR'
  if (c === 0) return 'NUL'
  if (c === 32) return 'Space'
  if (c < 32 || c >= 127) return `Byte 0x${c.toString(16).padStart(2, '0')}`
  return `Character ${JSON.stringify(String.fromCharCode(c))}`
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

  /**
   * How much of `buf[start, end)` belongs to the body: the index where the body stops. With
   * `out`, the body's bytes are also given to it, a chunked body re-framed (ChunkedScanner).
   */
  take(buf: Buffer, start: number, end: number, out?: BodyOut): number {
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
        const i = this.chunks!.scan(buf, start, end, out)
        this.bytes += (i < 0 ? end : i) - start
        return i < 0 ? end : i
      }
      case 'close':
        stop = end
        break
    }
    this.bytes += stop - start
    if (out !== undefined && stop > start) {
      out.bodyPiece(start === 0 && stop === buf.length ? buf : buf.subarray(start, stop))
    }
    return stop
  }
}
