// Where names go: /api/1/bind/<ns>, /api/1/addr/<ns>, /api/1/resolve/<ns> and
// /api/1/bound-names (namerd-wire.md §1.2-1.4). Each answers once, or with `watch` streams
// every change. A one-shot answer waits until no address is pending, as namerd does.
import { Dtab, DtabParseError } from '@switchyard/dtab'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { JSON_TYPE } from '../codec.js'
import type { Context } from '../context.js'
import { ApiError } from '../errors.js'
import type { WatchKind } from '../metrics.js'
import { sendBody } from '../reply.js'
import { isWatch, pathParam, queryOf, rawSegment } from '../request.js'
import { firstState, type Source } from '../source.js'
import { serveWatch } from './watch.js'

/**
 * The `dtab` parameter: extra dentries, appended after the namespace's. namerd lets a bad one
 * escape as a 500; it is the caller's mistake, so ours is a 400 that says where.
 */
export function extraDtab(query: URLSearchParams): Dtab {
  const text = query.get('dtab')
  if (text === null) return Dtab.empty
  try {
    return Dtab.read(text)
  } catch (err) {
    if (err instanceof DtabParseError) {
      throw new ApiError(400, 'invalid_dtab', `Invalid dtab: ${err.message}`, {
        offset: err.offset,
      })
    }
    throw err
  }
}

export function resolveRoutes(app: FastifyInstance, ctx: Context): void {
  const answer = async (
    req: FastifyRequest,
    reply: FastifyReply,
    kind: WatchKind,
    namespace: string | null,
    source: Source,
  ) => {
    if (isWatch(queryOf(req))) {
      return serveWatch(ctx, req, reply, { kind, namespace, contentType: JSON_TYPE }, source)
    }
    const state = await firstState(source, ctx.limits.resolveTimeoutMs)
    return sendBody(reply, JSON_TYPE, state.text)
  }

  app.get('/api/1/bind/*', { config: { scope: 'read' } }, async (req, reply) => {
    const ns = rawSegment(req, '/api/1/bind/')
    const query = queryOf(req)
    const path = pathParam(query)
    return answer(req, reply, 'bind', ns, ctx.naming.bind(ns, path, extraDtab(query)))
  })

  app.get('/api/1/resolve/*', { config: { scope: 'read' } }, async (req, reply) => {
    const ns = rawSegment(req, '/api/1/resolve/')
    const query = queryOf(req)
    const path = pathParam(query)
    return answer(req, reply, 'resolve', ns, ctx.naming.resolve(ns, path, extraDtab(query)))
  })

  // The namespace is part of the route but plays no part: an id is bound by the namers alone.
  app.get('/api/1/addr/*', { config: { scope: 'read' } }, async (req, reply) => {
    const id = pathParam(queryOf(req))
    return answer(req, reply, 'addr', null, ctx.naming.addr(id))
  })

  app.get('/api/1/bound-names', { config: { scope: 'read' } }, async (req, reply) =>
    answer(req, reply, 'bound-names', null, ctx.naming.boundNamesSource()),
  )
}
