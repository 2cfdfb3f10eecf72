// Propagation status: `GET /api/1/dtabs/<ns>/watchers` lists the open watch streams that
// depend on a namespace (its dtab, or names bound through it) and the version each was last
// sent, so an operator sees whether a change has reached every proxy. A watcher names itself
// with the `l5d-watcher-id` request header.
import { versionToETag } from '@switchyard/store'
import type { Watchers } from '@switchyard/wire'
import type { FastifyInstance } from 'fastify'
import { JSON_TYPE } from '../codec.js'
import type { Context } from '../context.js'
import { sendBody } from '../reply.js'
import { rawSegment } from '../request.js'
import { DTABS_PREFIX } from './dtabs.js'

export function watcherRoutes(app: FastifyInstance, ctx: Context): void {
  app.get(`${DTABS_PREFIX}:ns/watchers`, { config: { scope: 'read' } }, async (req, reply) => {
    const namespace = rawSegment(req, DTABS_PREFIX, '/watchers')
    const found = await ctx.store.get(namespace)
    const version = found === null ? null : versionToETag(found.version)
    const body: Watchers = {
      namespace,
      version,
      watchers: ctx.watchers.ofNamespace(namespace, version),
    }
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(body)}\n`)
  })
}
