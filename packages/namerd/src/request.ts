// Reading requests the way namerd does: the namespace is the raw text after a route's prefix
// (Finagle's `Request.path`, no percent-decoding); query parameters are decoded as a form
// (`+` is a space); `watch` is Finagle's boolean.
import { Path } from '@switchyard/dtab'
import { hostPort } from '@switchyard/wire'
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { ApiError, TextError } from './errors.js'

/** The request path as sent, up to `?`, not decoded. */
export function rawPath(req: FastifyRequest): string {
  const url = req.url
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** What follows `prefix` in the raw path, less `suffix`; routing guarantees both are there. */
export function rawSegment(req: FastifyRequest, prefix: string, suffix = ''): string {
  const path = rawPath(req)
  return path.slice(prefix.length, path.length - suffix.length)
}

export function queryOf(req: FastifyRequest): URLSearchParams {
  const url = req.url
  const q = url.indexOf('?')
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
}

/** Finagle's `StringUtil.toBoolean`: `1`, `t` or `true`, any case; anything else is false. */
export function finagleBoolean(value: string | null): boolean {
  if (value === null) return false
  const v = value.toLowerCase()
  return v === '1' || v === 't' || v === 'true'
}

export function isWatch(query: URLSearchParams): boolean {
  return finagleBoolean(query.get('watch'))
}

/**
 * The `path` parameter as a Path. A malformed one is namerd's 400 `Invalid path: <p> / <why>`;
 * a missing one (a NullPointerException, so a 500, in namerd) is a 400 that says so.
 */
export function pathParam(query: URLSearchParams): Path {
  const text = query.get('path')
  if (text === null) {
    throw new ApiError(
      400,
      'invalid_path',
      'the query parameter "path" is required, e.g. ?path=/svc/web',
    )
  }
  try {
    return Path.read(text)
  } catch (err) {
    throw new TextError(400, `Invalid path: ${text} / ${err instanceof Error ? err.message : err}`)
  }
}

/**
 * Parses values (query parameters, headers, a JSON body) with a zod schema; a failure is a 400
 * naming the field and the problem.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.infer<S> {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  const issue = r.error.issues[0]!
  const where = issue.path.length > 0 ? `${what} ${issue.path.map(String).join('.')}` : what
  throw new ApiError(400, 'invalid_parameter', `${where}: ${issue.message}`)
}

/** The header a watcher may send to name itself (a proxy's node name, say). */
export const WATCHER_ID_HEADER = 'l5d-watcher-id'

const WatcherId = z
  .string()
  .regex(/^[\x21-\x7e][\x20-\x7e]{0,127}$/, 'must be 1 to 128 printable ASCII characters')
  .optional()

export function watcherId(req: FastifyRequest): string | null {
  const value = req.headers[WATCHER_ID_HEADER]
  return (
    parseWith(WatcherId, Array.isArray(value) ? value[0] : value, `header ${WATCHER_ID_HEADER}`) ??
    null
  )
}

/** The header a watcher (a proxy) names its admin address with, `host:port`, for rollouts. */
export const WATCHER_ADMIN_HEADER = 'l5d-watcher-admin'

/** The raw `l5d-watcher-admin` value, or null; the WatcherRegistry checks it (admitAdmin). */
export function watcherAdmin(req: FastifyRequest): string | null {
  const value = req.headers[WATCHER_ADMIN_HEADER]
  const first = Array.isArray(value) ? value[0] : value
  return first === undefined ? null : first.trim()
}

/** The client's address as `ip:port` (`[v6]:port`). */
export function remoteOf(req: FastifyRequest): string {
  const { remoteAddress, remotePort } = req.raw.socket
  if (remoteAddress === undefined) return 'unknown'
  return remotePort === undefined ? remoteAddress : hostPort(remoteAddress, remotePort)
}
