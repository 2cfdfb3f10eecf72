// The dashboard (docs/dashboard.md): its page and files at `dashboard.path` (default `/`), no
// token needed for them (the page asks for one when namerd wants it). At `/`, a browser (Accept:
// text/html) gets the dashboard and anything else namerd's index as before, so curl and scripts
// see what they saw; the index is also at /admin. Each answer carries a strict
// Content-Security-Policy: the page loads only its own files and talks only to this origin.

import { indexPage } from '@switchyard/wire'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Asset, DashboardAssets } from '../dashboard/assets.js'
import { namerdIndex } from './admin-index.js'

export interface DashboardRouteOptions {
  /** Where the page is, ending in `/`. */
  readonly path: string
  readonly assets: DashboardAssets
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"

function wantsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? ''
  return /\btext\/html\b/i.test(accept)
}

function encodingOf(req: FastifyRequest): 'br' | 'gzip' | null {
  const given = String(req.headers['accept-encoding'] ?? '').toLowerCase()
  const accepts = (name: string) =>
    given.split(',').some((part) => {
      const [coding = '', ...params] = part.trim().split(';')
      if (coding.trim() !== name) return false
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return q === undefined || Number(q.slice(2)) > 0
    })
  if (accepts('br')) return 'br'
  if (accepts('gzip')) return 'gzip'
  return null
}

/** If-None-Match (RFC 9110 §13.1.2): `*` or a list of ETags, compared weakly (W/ ignored). */
function notModified(given: string | undefined, etag: string): boolean {
  if (given === undefined) return false
  if (given.trim() === '*') return true
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '')
  return given.split(',').some((tag) => opaque(tag) === opaque(etag))
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, immutable: boolean) {
  reply
    .header('content-type', asset.type)
    .header('etag', asset.etag)
    .header('vary', 'accept, accept-encoding')
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', CSP)
    .header('x-frame-options', 'DENY')
  if (notModified(req.headers['if-none-match'], asset.etag)) return reply.code(304).send()
  const encoding = encodingOf(req)
  const body = encoding === 'br' ? asset.brotli : encoding === 'gzip' ? asset.gzip : asset.identity
  if (encoding !== null) reply.header('content-encoding', encoding)
  return reply.header('content-length', body.length).send(body)
}

export function dashboardRoutes(app: FastifyInstance, options: DashboardRouteOptions): void {
  const { path, assets } = options
  const atRoot = path === '/'

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    if (atRoot && !wantsHtml(req)) {
      const index = indexPage(
        'namerd: what this port answers',
        namerdIndex(path),
        req.headers.accept,
      )
      return reply.header('vary', 'accept').type(index.type).send(index.body)
    }
    if (!assets.ok) {
      return reply
        .code(503)
        .header('vary', 'accept')
        .type('text/plain; charset=utf-8')
        .send(
          `The dashboard is not available: ${assets.problem}.\nnamerd's API is served as usual; see /admin.\n`,
        )
    }
    const index = assets.files.get('index.html')!
    return send(req, reply, index, false)
  }
  app.get(path, page)
  if (!atRoot) {
    // `/dashboard` without its slash would load `app.js` from `/`: send the browser to the page.
    app.get(path.slice(0, -1), async (_req, reply) => reply.redirect(path, 308))
  }
  if (!assets.ok) return
  for (const [name, asset] of assets.files) {
    if (name === 'index.html') continue
    app.get(`${path}${name}`, async (req, reply) => {
      const v = (req.query as Record<string, unknown>).v
      return send(req, reply, asset, typeof v === 'string' && asset.etag === `"${v}"`)
    })
  }
}
