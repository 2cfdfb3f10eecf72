// /api/1/dtabs and /api/1/dtabs/<ns>: namerd's DtabHandler (namerd-wire.md §1.2), plus
// If-Match on DELETE and an ETag on successful writes.
import { type Dtab, DtabJsonError, DtabParseError } from '@switchyard/dtab'
import {
  checkNamespace,
  type DtabStore,
  versionFromIfMatch,
  versionToETag,
} from '@switchyard/store'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  codecFor,
  type DtabCodec,
  InvalidJsonError,
  JSON_TYPE,
  mediaTypeOf,
  NullDentriesError,
  negotiate,
  readDtab,
} from '../codec.js'
import type { Context } from '../context.js'
import { ApiError, TextError } from '../errors.js'
import { sendBody } from '../reply.js'
import { isWatch, queryOf, rawSegment } from '../request.js'
import { iterableSource, type Source } from '../source.js'
import { whyOf } from '../why-header.js'
import { serveWatch } from './watch.js'

export const DTABS_PREFIX = '/api/1/dtabs/'

/** The response header that carries a dtab syntax error's offset where namerd's body is text. */
export const ERROR_OFFSET_HEADER = 'dtab-error-offset'

/** The body a write carries, or why not; namerd answers some failures with text, others empty. */
function decodeBody(req: FastifyRequest, codec: DtabCodec, method: 'POST' | 'PUT'): Dtab {
  try {
    return readDtab(Buffer.isBuffer(req.body) ? req.body : undefined, codec)
  } catch (err) {
    if (err instanceof DtabParseError) {
      // namerd: PUT answers a syntax error with the parser's message; POST with nothing.
      if (method === 'PUT') {
        throw new TextError(400, err.message, { [ERROR_OFFSET_HEADER]: String(err.offset) })
      }
      throw new ApiError(400, 'invalid_dtab', err.message, { offset: err.offset })
    }
    if (err instanceof NullDentriesError) {
      if (method === 'POST') throw new TextError(400, err.message)
      throw new ApiError(
        400,
        'invalid_dtab',
        'the dtab has null entries; each must be {"prefix", "dst"}',
      )
    }
    if (err instanceof InvalidJsonError) throw new ApiError(400, 'invalid_json', err.message)
    if (err instanceof DtabJsonError) throw new ApiError(400, 'invalid_dtab', err.message)
    throw err
  }
}

function writeCodec(req: FastifyRequest, method: 'POST' | 'PUT'): DtabCodec {
  const contentType = req.headers['content-type']
  const codec = codecFor(mediaTypeOf(contentType))
  if (codec !== undefined) return codec
  if (method === 'PUT') throw new TextError(400, `Invalid Content-Type "${contentType ?? ''}". `)
  throw new ApiError(
    400,
    'unsupported_content_type',
    `${contentType === undefined ? 'no Content-Type' : `Content-Type "${contentType}"`}: send application/json, application/dtab or text/plain`,
  )
}

function ifMatch(req: FastifyRequest): Uint8Array | undefined {
  const value = req.headers['if-match']
  return value === undefined ? undefined : versionFromIfMatch(value)
}

// The store may say where it looked: the k8s store, which DTab in which Kubernetes namespace.
const notFound = (store: DtabStore, ns: string) => {
  const where = store.notFound?.(ns).where
  return new ApiError(
    404,
    'namespace_not_found',
    `namespace ${JSON.stringify(ns)} does not exist${where ? ` (${where})` : ''}`,
  )
}

export function dtabRoutes(app: FastifyInstance, ctx: Context): void {
  const { store } = ctx
  // Who (the token's name) and why (header l5d-why, checked before anything is written).
  const who = (req: FastifyRequest) => ({ who: req.principal?.name, why: whyOf(req) })

  // namerd answers any method on these with the list.
  const list = async (req: FastifyRequest, reply: FastifyReply) => {
    if (isWatch(queryOf(req))) {
      const source = iterableSource(
        (signal) => store.watchList({ signal }),
        (event, sink) => sink.state({ text: `${JSON.stringify(event.namespaces)}\n` }),
      )
      return serveWatch(
        ctx,
        req,
        reply,
        { kind: 'dtabs', namespace: null, contentType: JSON_TYPE },
        source,
      )
    }
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(await store.list())}\n`)
  }
  app.all('/api/1/dtabs', { config: { scope: 'read' } }, list)
  app.all(DTABS_PREFIX, { config: { scope: 'read' } }, list)

  // HEAD is fastify's, derived from this GET (exposeHeadRoutes): the same negotiation, status
  // and headers (ETag, Content-Type, Content-Length of the rendered body), without the body.
  app.get(`${DTABS_PREFIX}:ns`, { config: { scope: 'read' } }, async (req, reply) => {
    const ns = rawSegment(req, DTABS_PREFIX)
    const { mediaType, codec } = negotiate(req.headers.accept)
    if (isWatch(queryOf(req))) {
      // Only existing states are sent: nothing while the namespace is absent, no delete. Every
      // stream of the namespace shares one store watch and is sent the same rendered bytes.
      const source: Source = (sink) =>
        ctx.dtabWatches.subscribe(ns, {
          state(state) {
            if (state.type === 'dtab') {
              sink.state({ text: state.rendered.body(codec), version: state.rendered.etag })
            } else if (state.type === 'corrupt') {
              sink.fail(state.message)
            }
          },
          fail: (m) => sink.fail(m),
          end: () => sink.end(),
        })
      return serveWatch(
        ctx,
        req,
        reply,
        { kind: 'dtab', namespace: ns, contentType: mediaType },
        source,
      )
    }
    const found = await store.get(ns)
    if (found === null) throw notFound(store, ns)
    const rendered = ctx.rendered.of(found)
    reply.header('etag', rendered.etag)
    return sendBody(reply, mediaType, rendered.body(codec))
  })

  // Create: 204, or 409 if it exists.
  app.post(`${DTABS_PREFIX}:ns`, { config: { scope: 'write' } }, async (req, reply) => {
    const ns = rawSegment(req, DTABS_PREFIX)
    const dtab = decodeBody(req, writeCodec(req, 'POST'), 'POST')
    const version = await store.create(ns, dtab, who(req))
    return reply.code(204).header('etag', versionToETag(version)).send()
  })

  // Without If-Match, create or replace; with it, compare-and-swap (404 if absent, 412 if stale).
  app.put(`${DTABS_PREFIX}:ns`, { config: { scope: 'write' } }, async (req, reply) => {
    const ns = rawSegment(req, DTABS_PREFIX)
    const dtab = decodeBody(req, writeCodec(req, 'PUT'), 'PUT')
    const expected = ifMatch(req)
    const version =
      expected === undefined
        ? await store.put(ns, dtab, who(req))
        : await store.update(ns, dtab, expected, who(req))
    return reply.code(204).header('etag', versionToETag(version)).send()
  })

  app.delete(`${DTABS_PREFIX}:ns`, { config: { scope: 'write' } }, async (req, reply) => {
    const ns = rawSegment(req, DTABS_PREFIX)
    await store.delete(ns, { ...who(req), version: ifMatch(req) })
    return reply.code(204).send()
  })

  // namerd takes everything after the prefix as the namespace, `/` included; ours cannot hold one.
  app.all(`${DTABS_PREFIX}*`, { config: { scope: 'read' } }, async (req) => {
    checkNamespace(rawSegment(req, DTABS_PREFIX))
    throw new ApiError(404, 'not_found', `no such route: ${req.method} ${req.url}`)
  })
}
