// /api/1/rollouts (docs/design/rollouts.md §6): start a rollout, read and watch it, and queue
// the requests people make of it (pause, resume, promote, abort). Any replica answers; only the
// leader's controller acts, so an action is a compare-and-swap append to the rollout's
// `requests`, and the 202 says it is queued, not done. Validation of a start and the first
// Rollout come from the controller's pure planStart, so the API and the controller agree on
// what a valid rollout is.
import { Path } from '@switchyard/dtab'
import {
  type DtabStore,
  isValidNamespace,
  type RolloutStore,
  type VersionedRollout,
  VersionMismatchError,
  versionFromIfMatch,
  versionsEqual,
  versionToETag,
} from '@switchyard/store'
import {
  isTerminal,
  type Rollout,
  type RolloutAction,
  RolloutActionBody,
  type RolloutList,
  RolloutStartBody,
  type RolloutSummary,
  specOfStart,
} from '@switchyard/wire'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { JSON_TYPE, mediaTypeOf } from '../codec.js'
import type { Context } from '../context.js'
import { ApiError } from '../errors.js'
import { sendBody } from '../reply.js'
import { finagleBoolean, isWatch, parseWith, queryOf } from '../request.js'
import { stepDentry } from '../rollouts/dentry.js'
import { bindIdsWith, planStart } from '../rollouts/plan.js'
import type { Sink, Source } from '../source.js'
import { StateStream, serveWatch } from './watch.js'

export const ROLLOUTS_PREFIX = '/api/1/rollouts'

/** The actions of POST /api/1/rollouts/<ns>/<id>/<action>. */
const ACTIONS = ['pause', 'resume', 'promote', 'abort'] as const
type ActionPath = (typeof ACTIONS)[number]

/** How often an action re-reads and re-appends when the controller updated the rollout between. */
const ACTION_ATTEMPTS = 8

/** How often a watch that sent a terminal state checks whether the watcher has taken it. */
const TERMINAL_FLUSH_POLL_MS = 25

/** The answer of `POST /api/1/rollouts/<ns>?dryRun=true`: what a start would do. */
export interface RolloutPlan {
  readonly rollout: Rollout
  /** The concrete ids each version binds to now, transformer prefix stripped. */
  readonly ids: { readonly from: string[]; readonly to: string[] }
  /** Each step's dentry as it would be written; `gate`: promote is awaited before it. */
  readonly steps: { readonly weight: number; readonly gate: boolean; readonly dentry: string }[]
}

function disabled(why: string): ApiError {
  return new ApiError(503, 'rollouts_disabled', `rollouts are not available on this namerd: ${why}`)
}

/** The store's rollouts for reading: 503 when the store has none. */
function readable(ctx: Context): RolloutStore {
  const rollouts = ctx.store.rollouts
  if (rollouts === undefined) {
    throw disabled(
      'its store keeps no rollouts (every store of Switchyard does; is it an old namerd?)',
    )
  }
  return rollouts
}

/** The store's rollouts for a change: also 503 when no controller would ever act on it. */
function writable(ctx: Context): RolloutStore {
  // The store first: its lack is the cause when both are missing.
  const rollouts = readable(ctx)
  // null: rollouts switched off in namerd's config (nothing would ever act on the change).
  if (ctx.rollouts === null || !ctx.rollouts.enabled) {
    throw disabled(
      'rollouts.enabled is false in its config; set it to true (or remove it) and restart namerd',
    )
  }
  return rollouts
}

const notFoundNamespace = (store: DtabStore, ns: string) => {
  const where = store.notFound?.(ns).where
  return new ApiError(
    404,
    'namespace_not_found',
    `namespace ${JSON.stringify(ns)} does not exist${where ? ` (${where})` : ''}`,
  )
}

const rolloutNotFound = (ns: string, id: string) =>
  new ApiError(
    404,
    'rollout_not_found',
    `no rollout ${id} in namespace ${JSON.stringify(ns)} (namerctl rollout list ${ns})`,
  )

/** A JSON body, or `fallback` when there is none (an action's body is optional). */
function jsonBody(req: FastifyRequest, example: string, fallback?: unknown): unknown {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''
  if (raw.trim() === '' && fallback !== undefined) return fallback
  if (mediaTypeOf(req.headers['content-type']) !== JSON_TYPE) {
    throw new ApiError(415, 'unsupported_content_type', `send ${example} as application/json`)
  }
  try {
    return JSON.parse(raw)
  } catch {
    throw new ApiError(400, 'invalid_json', `the body must be JSON: ${example}`)
  }
}

/** The rollout as a summary: no events, step records or queued requests. */
export function summaryOf(rollout: Rollout): RolloutSummary {
  const { events: _e, stepRecords: _s, requests: _r, ...summary } = rollout
  return summary
}

function sendRollout(reply: FastifyReply, found: VersionedRollout, status = 200): FastifyReply {
  reply.code(status).header('etag', versionToETag(found.version))
  return sendBody(reply, JSON_TYPE, `${JSON.stringify(found.rollout)}\n`)
}

function who(req: FastifyRequest): string {
  return req.principal?.name ?? 'anonymous'
}

const ListQuery = z.object({
  namespace: z.string().min(1).optional(),
  active: z.enum(['true', 'false']).optional(),
})

const ActiveQuery = z.object({
  prefix: z.string({ error: 'is required, e.g. ?prefix=/host/world' }).refine((p) => {
    try {
      Path.read(p)
      return true
    } catch {
      return false
    }
  }, 'must be a path such as /host/world'),
})

/**
 * Whether `action` may be queued in the rollout's state, and if not, why. The leader checks
 * again when it takes the request; this refuses what could never be taken.
 */
function refusal(
  rollout: Rollout,
  action: RolloutAction,
): { code: string; message: string } | null {
  const why = refusalWhy(rollout, action)
  if (why !== null) return { code: 'action_not_allowed', message: why }
  // Pause and resume against a state that is known: none of them queued before this one (the
  // leader takes the queue in order, so with one queued the state it meets is not yet known).
  if (!rollout.requests.some((q) => q.action === 'pause' || q.action === 'resume')) {
    if (action === 'pause' && rollout.pause?.by === 'user') {
      return {
        code: 'already_paused',
        message: `rollout ${rollout.id} is already paused by ${rollout.pause.who} since ${rollout.pause.since}: ${rollout.pause.why}; resume it with namerctl rollout resume ${rollout.namespace} ${rollout.id}`,
      }
    }
    if (action === 'resume' && rollout.pause === null) {
      return {
        code: 'not_paused',
        message: `rollout ${rollout.id} is not paused (${rollout.phase}); there is nothing to resume`,
      }
    }
  }
  return null
}

function refusalWhy(rollout: Rollout, action: RolloutAction): string | null {
  if (isTerminal(rollout.phase)) {
    return `rollout ${rollout.id} has ended (${rollout.phase}${rollout.outcome ? `: ${rollout.outcome}` : ''}); there is nothing to ${action.replace('-full', '')}`
  }
  if (
    (action === 'promote' || action === 'promote-full') &&
    (rollout.phase === 'pending' || rollout.phase === 'smoke')
  ) {
    // Pending is not only "no leader yet": a leader may hold it there (paused while the metrics
    // cannot be read), and then the pause's why is the reason.
    const where =
      rollout.phase === 'smoke'
        ? 'in its smoke test'
        : rollout.pause !== null
          ? `pending, paused by ${rollout.pause.by === 'user' ? rollout.pause.who : "namerd's leader"} before its first step: ${rollout.pause.why}`
          : 'pending (not at its first step yet)'
    return `rollout ${rollout.id} is ${where}; promote once it is at a step or a gate`
  }
  if ((action === 'promote' || action === 'promote-full') && rollout.phase === 'rolling-back') {
    return `rollout ${rollout.id} is rolling back; it cannot be promoted`
  }
  return null
}

export function rolloutRoutes(app: FastifyInstance, ctx: Context): void {
  // Start: 201 with the stored Rollout, phase pending; the leader takes it up. ?dryRun=true:
  // 200 with the plan, after the same checks, and nothing stored.
  app.post(`${ROLLOUTS_PREFIX}/:ns`, { config: { scope: 'write' } }, async (req, reply) => {
    const rollouts = writable(ctx)
    const { ns } = req.params as { ns: string }
    // Every field but prefix and to has a default (wire's ROLLOUT_DEFAULTS, namerctl's too).
    const body = parseWith(
      RolloutStartBody,
      jsonBody(req, 'a RolloutSpec: at least {"prefix": "/host/world", "to": "/srv/world-v2"}'),
      'body',
    )
    const spec = { ...specOfStart(body, ''), from: body.from ?? null }
    const current = isValidNamespace(ns) ? await ctx.store.get(ns) : null
    if (current === null) throw notFoundNamespace(ctx.store, ns)
    const planned = await planStart({
      namespace: ns,
      spec,
      current,
      // The binding of /api/1/bind: the namespace's dtab as validated, namerd's namers.
      bindIds: async (tree) => bindIdsWith(ctx.naming.namers, current.dtab, tree),
      who: who(req),
      now: new Date(),
    })
    if (!planned.ok) throw new ApiError(planned.status, planned.code, planned.message)
    if (finagleBoolean(queryOf(req).get('dryRun'))) {
      // The plan as the start would store it, written nowhere: each step's dentry and the ids
      // each version binds to now (namerctl rollout start --dry-run).
      const { rollout } = planned
      const plan: RolloutPlan = {
        rollout,
        ids: {
          from: bindIdsWith(ctx.naming.namers, current.dtab, rollout.from),
          to: bindIdsWith(ctx.naming.namers, current.dtab, rollout.to),
        },
        steps: rollout.steps.map((weight) => ({
          weight,
          gate: rollout.gates.includes(weight),
          dentry: stepDentry(rollout.prefix, rollout.from, rollout.to, weight),
        })),
      }
      return sendBody(reply, JSON_TYPE, `${JSON.stringify(plan)}\n`)
    }
    const version = await rollouts.create(planned.rollout)
    return sendRollout(reply, { rollout: planned.rollout, version }, 201)
  })

  app.get(ROLLOUTS_PREFIX, { config: { scope: 'read' } }, async (req, reply) => {
    const rollouts = readable(ctx)
    const query = parseWith(ListQuery, Object.fromEntries(queryOf(req)), 'query parameter')
    const found = await rollouts.list({
      ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
      ...(query.active === undefined ? {} : { active: query.active === 'true' }),
    })
    // A namespace with no dtab and no rollouts is a typo, not a namespace without rollouts (one
    // whose dtab was deleted still lists the rollouts it had).
    if (
      query.namespace !== undefined &&
      found.length === 0 &&
      (!isValidNamespace(query.namespace) || (await ctx.store.get(query.namespace)) === null)
    ) {
      throw notFoundNamespace(ctx.store, query.namespace)
    }
    const body: RolloutList = { rollouts: found.map((f) => summaryOf(f.rollout)) }
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(body)}\n`)
  })

  // The active rollout on a prefix (static `active` wins over `:id` in the router; no
  // generated id is the bare word).
  app.get(`${ROLLOUTS_PREFIX}/:ns/active`, { config: { scope: 'read' } }, async (req, reply) => {
    const rollouts = readable(ctx)
    const { ns } = req.params as { ns: string }
    const { prefix } = parseWith(ActiveQuery, Object.fromEntries(queryOf(req)), 'query parameter')
    const wanted = Path.show(Path.read(prefix))
    const active = (await rollouts.list({ namespace: ns, active: true })).find(
      (f) => f.rollout.prefix === wanted,
    )
    if (active === undefined) {
      throw new ApiError(
        404,
        'rollout_not_found',
        `no active rollout on ${wanted} in namespace ${JSON.stringify(ns)} (namerctl rollout list ${ns} --all shows ended ones)`,
      )
    }
    return sendRollout(reply, active)
  })

  app.get(`${ROLLOUTS_PREFIX}/:ns/:id`, { config: { scope: 'read' } }, async (req, reply) => {
    const rollouts = readable(ctx)
    const { ns, id } = req.params as { ns: string; id: string }
    const found = await rollouts.get(ns, id)
    if (found === null) throw rolloutNotFound(ns, id)
    if (!isWatch(queryOf(req))) return sendRollout(reply, found)
    return serveWatch(
      ctx,
      req,
      reply,
      { kind: 'rollout', namespace: ns, contentType: JSON_TYPE },
      rolloutSource(rollouts, ns, id),
    )
  })

  app.post(
    `${ROLLOUTS_PREFIX}/:ns/:id/:action`,
    { config: { scope: 'write' } },
    async (req, reply) => {
      const rollouts = writable(ctx)
      const { ns, id, action } = req.params as { ns: string; id: string; action: string }
      if (!(ACTIONS as readonly string[]).includes(action)) {
        throw new ApiError(
          404,
          'not_found',
          `no such action: ${action}; use one of ${ACTIONS.join(', ')}`,
        )
      }
      const body = parseWith(
        RolloutActionBody,
        jsonBody(
          req,
          action === 'promote'
            ? '{"why": "verified by hand"} or {"full": true}, or no body'
            : '{"why": "checking the dashboards"}, or no body',
          {},
        ),
        'body',
      )
      if (body.full !== undefined && action !== 'promote') {
        throw new ApiError(400, 'invalid_parameter', `body full: only promote takes "full"`)
      }
      const queued: RolloutAction =
        action === 'promote' && body.full === true ? 'promote-full' : (action as ActionPath)
      const expected = ifMatchVersion(req.headers['if-match'], ns, id)
      const updated = await appendRequest(rollouts, ns, id, expected, (rollout) => {
        const refused = refusal(rollout, queued)
        if (refused !== null) throw new ApiError(409, refused.code, refused.message)
        const now = new Date().toISOString()
        return {
          ...rollout,
          requests: [
            ...rollout.requests,
            { action: queued, who: who(req), why: body.why ?? null, at: now },
          ],
          updatedAt: now,
        }
      })
      return sendRollout(reply, updated, 202)
    },
  )
}

/**
 * If-Match as a rollout version: what does not decode to one (`bogus`, an empty header) is a
 * 400 saying so, not a 412 against "(empty)" that reads as if the rollout had changed.
 */
function ifMatchVersion(
  header: string | undefined,
  ns: string,
  id: string,
): Uint8Array | undefined {
  if (header === undefined) return undefined
  const version = versionFromIfMatch(header)
  if (version.length === 0) {
    throw new ApiError(
      400,
      'invalid_version',
      `If-Match ${JSON.stringify(header)} is not a version: send the ETag of GET /api/1/rollouts/${ns}/${id} as it came, or no If-Match`,
    )
  }
  return version
}

/**
 * Compare-and-swap: re-reads and re-applies `change` when the rollout moved on in between (the
 * controller updates it all the time); with If-Match, the caller's version must be current.
 */
async function appendRequest(
  rollouts: RolloutStore,
  ns: string,
  id: string,
  expected: Uint8Array | undefined,
  change: (rollout: Rollout) => Rollout,
): Promise<VersionedRollout> {
  for (let attempt = 1; ; attempt++) {
    const found = await rollouts.get(ns, id)
    if (found === null) throw rolloutNotFound(ns, id)
    if (expected !== undefined && !versionsEqual(expected, found.version)) {
      throw new ApiError(
        412,
        'version_mismatch',
        `rollout ${id} changed since version ${versionToETag(expected) || '(empty)'} was read, now at ${versionToETag(found.version)}; read it again (namerctl rollout status ${ns} ${id}) and retry`,
      )
    }
    const next = change(found.rollout)
    try {
      const version = await rollouts.update(next, found.version)
      return { rollout: next, version }
    } catch (err) {
      if (!(err instanceof VersionMismatchError) || attempt >= ACTION_ATTEMPTS) throw err
      // With If-Match the next read answers 412; without, the request is applied again.
    }
  }
}

/**
 * The states of one rollout, as a watch source: each stored version as one JSON line, and the
 * end once a terminal state has reached the watcher. The stream keeps only the latest unsent
 * state (a slow reader skips intermediate ones, as with dtab watches), and ending drops an
 * unsent state, so the end waits until the terminal one has been taken.
 */
function rolloutSource(rollouts: RolloutStore, ns: string, id: string): Source {
  return (sink: Sink) => {
    const ac = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const endAfter = (etag: string) => {
      if (!(sink instanceof StateStream)) {
        sink.end()
        return
      }
      const check = () => {
        if (ac.signal.aborted) return
        if (sink.version === etag || sink.destroyed) {
          ac.abort()
          sink.end()
          return
        }
        timer = setTimeout(check, TERMINAL_FLUSH_POLL_MS)
      }
      check()
    }
    void (async () => {
      try {
        for await (const event of rollouts.watch({ signal: ac.signal })) {
          if (ac.signal.aborted) return
          if (event.type === 'removed' && event.namespace === ns && event.id === id) {
            sink.fail(`rollout ${id} in namespace ${JSON.stringify(ns)} was removed`)
            return
          }
          if (event.type !== 'rollout') continue
          const { rollout } = event
          if (rollout.namespace !== ns || rollout.id !== id) continue
          const etag = versionToETag(event.version)
          sink.state({ text: `${JSON.stringify(rollout)}\n`, version: etag })
          if (isTerminal(rollout.phase)) {
            endAfter(etag)
            return
          }
        }
        if (!ac.signal.aborted) sink.end()
      } catch (err) {
        if (!ac.signal.aborted) sink.fail(err instanceof Error ? err.message : String(err))
      }
    })()
    return () => {
      ac.abort()
      clearTimeout(timer)
    }
  }
}
