// Which requests may be sent again. Only idempotent methods (RFC 9110 §9.2.2) and only
// requests without a body: the body is a stream that was handed to the first attempt.
import type { IncomingHttpHeaders } from 'node:http'

export function isIdempotent(method: string | undefined): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true
    default:
      return false
  }
}

/** RFC 9112 §6.3: a request has a body iff it has Transfer-Encoding or a non-zero Content-Length. */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true
  const cl = headers['content-length']
  return cl !== undefined && cl !== '0'
}

export const DEFAULT_MAX_RETRIES = 2
