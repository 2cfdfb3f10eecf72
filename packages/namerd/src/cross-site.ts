// A page on another site must not write through the browser of someone who can reach namerd:
// with no tokens (loopback, the default) a cross-site `fetch(..., {method: 'POST', mode:
// 'no-cors', body})` with a text/plain body is a "simple" request, sent without a CORS preflight,
// and would create a namespace or steer a rollout. Browsers say where a request comes from
// (Sec-Fetch-Site, Origin); programs (namerctl, curl, Linkerd) send neither and are not affected.
// Reads stay open: a cross-site page cannot read the answers (no CORS headers are sent).
import type { FastifyRequest } from 'fastify'
import { ApiError } from './errors.js'

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Where a browser said a write came from, when that is another site; null when it may go on. */
export function crossSiteOrigin(req: FastifyRequest): string | null {
  if (SAFE.has(req.method)) return null
  const site = req.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return req.headers.origin ?? site
  if (site === 'same-origin' || site === 'none') return null
  const origin = req.headers.origin
  if (origin === undefined) return null
  // Only the host is compared: behind a TLS-terminating proxy the page is https and namerd sees
  // plain HTTP, with the same Host.
  let host: string | null = null
  try {
    host = origin === 'null' ? null : new URL(origin).host
  } catch {
    host = null
  }
  return host !== null && host === req.headers.host ? null : origin
}

/** Throws the 403 for a write another site's page sent. */
export function refuseCrossSite(req: FastifyRequest): void {
  const from = crossSiteOrigin(req)
  if (from === null) return
  throw new ApiError(
    403,
    'cross_site_request',
    `namerd does not take writes sent by another site's page (${from}): change dtabs from namerd's own dashboard, namerctl or curl; nothing was written`,
  )
}
