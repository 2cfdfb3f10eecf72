// One request, start to end: log it, resolve its Kubernetes attributes, authorize (403 before
// anything knows whether the resource exists), find the served resource (else Go's plain 404),
// hand it to the verb handlers, and turn any failure into a Status body.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { discovery } from './discovery.js'
import { type HandlerContext, handleResource } from './handlers.js'
import { sendJson, sendPlainNotFound, sendStatus } from './http-io.js'
import { queryFlag } from './list-options.js'
import type { Rbac } from './rbac.js'
import type { Registry } from './registry.js'
import { requestInfo } from './request-info.js'
import type { RequestLog } from './request-log.js'
import { StatusError } from './status.js'

export interface RouterDeps {
  readonly ctx: HandlerContext
  readonly registry: Registry
  readonly rbac: Rbac
  readonly log: RequestLog
  readonly user: string
}

export function createRouter(deps: RouterDeps): RequestListener {
  return (req, res) => {
    route(deps, req, res).catch((err: unknown) => fail(res, err))
  }
}

async function route(deps: RouterDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '/'
  const q = target.indexOf('?')
  const path = q < 0 ? target : target.slice(0, q)
  const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1))
  const method = req.method ?? 'GET'
  deps.log.record(method, path, query)
  const info = requestInfo(method, path, queryFlag(query, 'watch'))
  if (info.type === 'other') {
    const doc = method === 'GET' ? discovery(path, deps.registry.all()) : undefined
    if (doc === undefined) sendPlainNotFound(res)
    else if (typeof doc === 'string') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end(doc)
    } else sendJson(res, 200, doc)
    return
  }
  deps.rbac.check(info, deps.user)
  const rt = deps.registry.lookup(info.group, info.version, info.resource)
  // The CR handler passes on (plain 404) a subresource it lacks, a namespaced resource's object
  // addressed without a namespace (only list and watch may span namespaces), and a
  // cluster-scoped resource addressed through one (DERIVED from customresource_handler.go's
  // scope checks; not checked against a server).
  const scopeMismatch =
    rt !== undefined &&
    (rt.namespaced
      ? info.namespace === undefined && info.verb !== 'list' && info.verb !== 'watch'
      : info.namespace !== undefined)
  if (rt === undefined || info.subresource !== undefined || scopeMismatch) {
    sendPlainNotFound(res)
    return
  }
  await handleResource(deps.ctx, info, rt, query, req, res)
}

function fail(res: ServerResponse, err: unknown): void {
  const status =
    err instanceof StatusError
      ? err
      : new StatusError({
          code: 500,
          reason: 'InternalError',
          message: `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
        })
  if (res.headersSent) {
    // A watch already streaming: nothing better than cutting it.
    res.destroy()
    return
  }
  if (status.code === 413) {
    // The rest of a too-large body is not read: close the connection after the answer.
    res.setHeader('Connection', 'close')
    res.on('finish', () => res.socket?.destroy())
  }
  sendStatus(res, status)
}
