// Errors and how they become HTTP responses. namerd answered most failures with an empty body;
// we keep its status codes and fill the body with `{"error", "message", "offset"?}`. Where
// namerd wrote a specific text body (`Invalid path: ...`, the parser's message on PUT), that
// text is kept byte for byte, since clients may show or match it.
import { DtabJsonError, DtabParseError } from '@switchyard/dtab'
import { isStoreError } from '@switchyard/store'
// The JSON body of every error response that namerd left empty; namerctl reads the same schema.
import type { ErrorBody } from '@switchyard/wire'
import { z } from 'zod'

export type ErrorCode =
  | 'bad_request'
  | 'invalid_dtab'
  | 'invalid_json'
  | 'invalid_path'
  | 'invalid_parameter'
  | 'unsupported_content_type'
  | 'body_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'precondition_required'
  | 'unprocessable'
  | 'unauthorized'
  | 'forbidden'
  | 'too_many_watchers'
  | 'timeout'
  | 'bind_failed'
  | 'shutting_down'
  | 'internal'

/** An error answered with the JSON error body. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: ErrorCode | (string & {}),
    message: string,
    readonly extra: { readonly offset?: number; readonly headers?: Record<string, string> } = {},
  ) {
    super(message)
  }
}

/** An error whose body is namerd's own text, kept exactly. */
export class TextError extends Error {
  override readonly name = 'TextError'
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(body)
  }
}

export interface ErrorResponse {
  readonly status: number
  readonly contentType: string
  readonly body: string
  readonly headers: Record<string, string>
  /** A failure of ours (5xx not caused by the store's state): log it with its stack. */
  readonly unexpected: boolean
}

const JSON_TYPE = 'application/json'
const TEXT_TYPE = 'text/plain; charset=utf-8'

export function jsonError(
  status: number,
  code: string,
  message: string,
  offset?: number,
  headers: Record<string, string> = {},
): ErrorResponse {
  const body: ErrorBody =
    offset === undefined ? { error: code, message } : { error: code, message, offset }
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body), headers, unexpected: false }
}

/** Fastify's own errors (body parsing and limits) carry a code and a status. */
const FastifyError = z.object({ code: z.string(), statusCode: z.int(), message: z.string() })

/** Maps anything thrown by a handler (or by fastify before it) to the response it deserves. */
export function toErrorResponse(
  err: unknown,
  limits: { readonly maxBodyBytes: number },
): ErrorResponse {
  if (err instanceof ApiError) {
    return jsonError(err.status, err.code, err.message, err.extra.offset, err.extra.headers)
  }
  if (err instanceof TextError) {
    return {
      status: err.status,
      contentType: TEXT_TYPE,
      body: err.body,
      headers: err.headers,
      unexpected: false,
    }
  }
  if (isStoreError(err)) return jsonError(err.status, err.code, err.message)
  if (err instanceof DtabParseError) return jsonError(400, 'invalid_dtab', err.message, err.offset)
  if (err instanceof DtabJsonError) return jsonError(400, 'invalid_dtab', err.message)
  const fe = FastifyError.safeParse(err)
  if (fe.success) {
    const { code, statusCode } = fe.data
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return jsonError(
        413,
        'body_too_large',
        `the request body is larger than the limit of ${limits.maxBodyBytes} bytes`,
      )
    }
    if (statusCode >= 400 && statusCode < 500)
      return jsonError(statusCode, 'bad_request', fe.data.message)
  }
  return { ...jsonError(500, 'internal', 'internal error; see the namerd log'), unexpected: true }
}
