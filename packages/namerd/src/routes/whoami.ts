// `GET /api/1/whoami` (wire Whoami): what the caller may do, so the dashboard asks for a token
// only when one is needed and disables what a read token cannot do. Open: a caller without a
// token must be able to learn that it needs one. A token sent is still checked (auth.ts), so a
// wrong one is a 401 here too, which is how the page notices a mistyped token at once.
import type { Whoami } from '@switchyard/wire'
import type { FastifyInstance } from 'fastify'
import type { Auth, Principal } from '../auth.js'
import { JSON_TYPE } from '../codec.js'
import type { Context } from '../context.js'
import { sendBody } from '../reply.js'

/** What `principal` (null: no token sent) may do under `auth`. */
export function whoami(auth: Auth, principal: Principal | null): Whoami {
  const scope: Whoami['scope'] =
    principal !== null
      ? principal.scope
      : auth.readGuarded
        ? 'none'
        : auth.writeGuarded
          ? 'read'
          : 'write'
  return {
    name: principal?.name ?? null,
    scope,
    readGuarded: auth.readGuarded,
    writeGuarded: auth.writeGuarded,
  }
}

export function whoamiRoutes(app: FastifyInstance, ctx: Context): void {
  app.get('/api/1/whoami', async (req, reply) => {
    reply.header('cache-control', 'no-store')
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(whoami(ctx.auth, req.principal))}\n`)
  })
}
