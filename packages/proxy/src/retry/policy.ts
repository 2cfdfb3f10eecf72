// Which requests may be sent again after they were sent once (RFC 9110 §9.2.2): idempotent
// methods, and only without a body, because the body flows from the client to the first
// attempt's connection and is not kept (whether there is one is the request's framing,
// src/http1/framing.ts). A request that could not be sent at all (no connection) may go
// elsewhere whatever its method; see forward/attempt.ts.
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

export const DEFAULT_MAX_RETRIES = 2
