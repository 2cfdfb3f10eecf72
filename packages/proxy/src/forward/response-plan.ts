// What the proxy makes of a backend's response head on the full path (the fast path,
// http1/response-scan.ts, makes the same of the common ones without parsing into strings): how
// its body is framed, the head the client gets, and whether the connection can carry another
// exchange. The two are held to agree by test/http1-response-agree.test.ts.
import { type Framing, responseBody } from '../http1/framing.js'
import { type HeaderMap, HttpParseError, type ResponseHead } from '../http1/head.js'
import { connectionTokens } from '../http1/header-roles.js'
import { keepAliveHintOf } from '../http1/keep-alive.js'
import { stripHopByHop } from './hop-by-hop.js'

export interface ResponsePlan {
  readonly framing: Framing
  /** The body goes out chunked, as it came (`transfer-encoding: chunked` is sent). */
  readonly chunked: boolean
  /** The headers for the client: end-to-end ones, and the framing as the proxy writes it. */
  readonly headers: HeaderMap
  /** The backend keeps the connection after this response, as far as the response says. */
  readonly reusable: boolean
  /** The backend's Keep-Alive hint (http1/keep-alive.ts). */
  readonly keepAlive: number
}

/**
 * The plan for `head`, the response to a `method` request; `head.headers` is used and changed
 * in place. Throws HttpParseError for a response the proxy refuses (framing.ts responseBody).
 */
export function planResponse(head: ResponseHead, method: string): ResponsePlan {
  const body = responseBody(method, head.status, head.headers)
  const keepAlive = keepAliveHintOf(head.headers['keep-alive'])
  const reusable =
    body.framing.kind !== 'close' &&
    head.httpVersion === '1.1' &&
    keepAlive !== 0 &&
    !connectionTokens(head.headers.connection).close
  const headers = stripHopByHop(head.headers)
  // RFC 9112 §6.3: the framing the proxy read by is the one it sends, and written by the
  // proxy: a length as the one number it parsed, chunked as chunked; never copied.
  if (headers['content-length'] !== undefined) delete headers['content-length']
  if (body.length !== undefined) headers['content-length'] = String(body.length)
  if (body.chunked) headers['transfer-encoding'] = 'chunked'
  return { framing: body.framing, chunked: body.chunked, headers, reusable, keepAlive }
}

/**
 * The headers of an interim (1xx) response for the client: no hop-by-hop and no framing ones,
 * as it has no body (RFC 9110 §15.2). Refused: framing headers a final response could not
 * have (an invalid length, both, a bad coding list); a framing header on a 1xx but 100, 102
 * and 103, after which llhttp reads a body (a 199 that says chunked); a 1xx from HTTP/1.0,
 * which has none, or one that says Connection: close, after which llhttp takes nothing more,
 * not even the final response.
 */
export function planInterim(head: ResponseHead): HeaderMap {
  const h = head.headers
  // Framing headers that would be refused on a final response are refused here too.
  responseBody('GET', head.status, h)
  const framed = h['content-length'] !== undefined || h['transfer-encoding'] !== undefined
  let what: string | undefined
  if (framed && head.status !== 100 && head.status !== 102 && head.status !== 103) {
    what = h['content-length'] !== undefined ? 'Content-Length' : 'Transfer-Encoding'
  } else if (head.httpVersion === '1.0') what = 'HTTP/1.0'
  else if (connectionTokens(h.connection).close) what = 'Connection: close'
  if (what !== undefined) {
    throw new HttpParseError('bad_framing', `${what} in a ${head.status} response`, 0)
  }
  const out = stripHopByHop(h)
  if (out['content-length'] !== undefined) delete out['content-length']
  return out
}
