// /api/1/delegate/<ns> and /api/1/delegate: how a path delegates, step by step, through the
// namespace's dtab (or only the given one) and the namers. namerd's DelegateHandler and
// Linkerd's DelegateApiHandler; the JSON is delegateTreeJson's, with no trailing newline.
import { BindWorkLimitError, Dtab, type Path, Path as PathOps } from '@switchyard/dtab'
import { errorMessage } from '@switchyard/wire'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { JSON_TYPE, mediaTypeOf } from '../codec.js'
import type { Context } from '../context.js'
import { ApiError, TextError } from '../errors.js'
import { sendBody } from '../reply.js'
import { pathParam, queryOf, rawSegment } from '../request.js'
import { extraDtab } from './resolve.js'

/** The body of `POST /api/1/delegate` (Linkerd's DelegationRequest; unknown keys ignored). */
export const DelegationRequest = z.object({
  namespace: z.string().nullish(),
  dtab: z.string(),
  path: z.string(),
})

export function delegateRoutes(app: FastifyInstance, ctx: Context): void {
  const send = async (reply: FastifyReply, base: Dtab, extra: Dtab, path: Path) => {
    let json: string | null
    try {
      json = await ctx.naming.delegateJson(base, extra, path, ctx.limits.delegateTimeoutMs)
    } catch (err) {
      // The request's own dentries make the delegation too much work: the caller's mistake.
      if (err instanceof BindWorkLimitError) throw new ApiError(400, err.code, err.message)
      // A delegation loop outside any alt or union: namerd fails the request (500).
      throw new ApiError(500, 'delegate_failed', errorMessage(err))
    }
    if (json === null) throw new TextError(503, 'Request timed out.')
    return sendBody(reply, JSON_TYPE, json)
  }

  app.get('/api/1/delegate/*', { config: { scope: 'read' } }, async (req, reply) => {
    const ns = rawSegment(req, '/api/1/delegate/')
    const query = queryOf(req)
    const path = pathParam(query)
    const extra = extraDtab(query)
    return send(reply, await ctx.naming.dtabOf(ns), extra, path)
  })

  // The form the Linkerd dashboard uses: GET with `path`, `dtab` and an optional
  // `namespace`, or POST of {"namespace", "dtab", "path"}. Without a namespace, only the
  // given dtab and the namers count.
  app.all('/api/1/delegate', { config: { scope: 'read' } }, async (req, reply) => {
    const request = delegationRequest(req)
    let dtab: Dtab
    try {
      dtab = request.dtab === null ? Dtab.empty : Dtab.read(request.dtab)
    } catch (err) {
      throw new TextError(400, `Invalid dtab: ${errorMessage(err)}`)
    }
    let path: Path
    try {
      path = typeof request.path === 'string' ? PathOps.read(request.path) : request.path
    } catch (err) {
      throw new TextError(400, `Invalid path: ${errorMessage(err)}`)
    }
    const base = request.namespace ? await ctx.naming.dtabOf(request.namespace) : Dtab.empty
    return send(reply, base, dtab, path)
  })
}

interface Delegation {
  readonly namespace: string | null
  readonly dtab: string | null
  /** Already read from a GET's query (namerd checks it first); text from a POST body. */
  readonly path: Path | string
}

function delegationRequest(req: FastifyRequest): Delegation {
  if (req.method === 'GET') {
    const query = queryOf(req)
    return { namespace: query.get('namespace'), dtab: query.get('dtab'), path: pathParam(query) }
  }
  if (req.method === 'POST') {
    if (mediaTypeOf(req.headers['content-type']) !== JSON_TYPE) {
      throw new ApiError(
        415,
        'unsupported_content_type',
        'POST a JSON {"namespace", "dtab", "path"}',
      )
    }
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''
    const parsed = DelegationRequest.safeParse(safeJson(raw))
    if (!parsed.success) throw new TextError(400, `Malformed delegation request: ${raw}`)
    return {
      namespace: parsed.data.namespace ?? null,
      dtab: parsed.data.dtab,
      path: parsed.data.path,
    }
  }
  throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed; use GET or POST`, {
    headers: { allow: 'GET, POST' },
  })
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
