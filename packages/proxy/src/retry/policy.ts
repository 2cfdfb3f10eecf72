// Which requests may be sent again. Only idempotent methods (RFC 9110 §9.2.2) and only
// requests without a body: the body is a stream that was handed to the first attempt
// (whether there is one is the request's framing, src/http1/framing.ts).
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
