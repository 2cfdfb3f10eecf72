// Our additions under /api/1/dtabs/<ns>: the history of a namespace, and restoring a past
// version, which is an ordinary compare-and-swap write and so lands in history itself.
import { Dtab } from '@switchyard/dtab'
import {
  type HistoryEntry,
  versionFromIfMatch,
  versionsEqual,
  versionToETag,
} from '@switchyard/store'
// One entry of `GET /api/1/dtabs/<ns>/history`, newest first: the schema namerctl reads too.
import type { HistoryEntry as HistoryEntryJson, RolloutHistoryEntry } from '@switchyard/wire'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { JSON_TYPE, mediaTypeOf } from '../codec.js'
import type { Context } from '../context.js'
import { ApiError } from '../errors.js'
import { sendBody } from '../reply.js'
import { parseWith, queryOf, rawSegment } from '../request.js'
import { whyOf } from '../why-header.js'
import { DTABS_PREFIX } from './dtabs.js'

export function historyEntryJson(e: HistoryEntry): HistoryEntryJson {
  return {
    version: versionToETag(e.version),
    previous: e.previous === null ? null : versionToETag(e.previous),
    time: e.time.toISOString(),
    who: e.who,
    op: e.op,
    dtab: e.dtab,
    // Only when the write gave one, so a history without whys reads as it always did.
    ...(e.why === undefined || e.why === null ? {} : { why: e.why }),
  }
}

/**
 * The dtab history with the namespace's rollout events merged in, newest first. `limit` counts
 * dtab versions, as without the query; the rollout events shown are those no older than the
 * oldest version shown (all of them when the whole history is). A store without rollouts
 * answers the dtab history alone: there is nothing to merge.
 */
async function withRollouts(
  ctx: Context,
  ns: string,
  entries: readonly HistoryEntry[],
  limited: boolean,
): Promise<(HistoryEntryJson | RolloutHistoryEntry)[]> {
  const dtabEntries = entries.map(historyEntryJson)
  const rollouts = ctx.store.rollouts
  if (rollouts === undefined) return dtabEntries
  const oldest = limited && entries.length > 0 ? entries[entries.length - 1]!.time.getTime() : null
  const events: RolloutHistoryEntry[] = []
  for (const { rollout } of await rollouts.list({ namespace: ns })) {
    for (const event of rollout.events) {
      if (oldest !== null && Date.parse(event.time) < oldest) continue
      events.push({ op: 'rollout', time: event.time, rollout: rollout.id, event })
    }
  }
  // Stable: a rollout event and the dtab write it made share a millisecond at most; the
  // write is listed first (newer), as it is the event's result.
  const merged: { time: number; order: number; entry: HistoryEntryJson | RolloutHistoryEntry }[] = [
    ...dtabEntries.map((entry, order) => ({ time: Date.parse(entry.time), order, entry })),
    ...events.map((entry, i) => ({
      time: Date.parse(entry.time),
      order: dtabEntries.length + i,
      entry,
    })),
  ]
  merged.sort((a, b) => b.time - a.time || a.order - b.order)
  return merged.map((m) => m.entry)
}

const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  /** `rollouts`: rollout events too (RolloutHistoryEntry), merged newest first. */
  include: z.enum(['rollouts']).optional(),
})

/** The body of `POST /api/1/dtabs/<ns>/restore`. */
export const RestoreRequest = z.strictObject({
  /** The ETag of the history entry whose dtab to bring back. */
  version: z.string().min(1),
})

export function historyRoutes(app: FastifyInstance, ctx: Context): void {
  const { store } = ctx

  app.get(`${DTABS_PREFIX}:ns/history`, { config: { scope: 'read' } }, async (req, reply) => {
    const ns = rawSegment(req, DTABS_PREFIX, '/history')
    const { limit, include } = parseWith(
      HistoryQuery,
      Object.fromEntries(queryOf(req)),
      'query parameter',
    )
    const entries = await store.history(ns, { limit })
    const body =
      include === 'rollouts'
        ? await withRollouts(ctx, ns, entries, limit !== undefined && entries.length >= limit)
        : entries.map(historyEntryJson)
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(body)}\n`)
  })

  // Restore: If-Match names the current version (412 if it moved on). With no If-Match it
  // only brings back a deleted namespace (409 if it exists): a restore never overwrites blind.
  app.post(`${DTABS_PREFIX}:ns/restore`, { config: { scope: 'write' } }, async (req, reply) => {
    const ns = rawSegment(req, DTABS_PREFIX, '/restore')
    // Checked first: a bad l5d-why is a 400 before any lookup or write.
    const why = whyOf(req)
    if (mediaTypeOf(req.headers['content-type']) !== JSON_TYPE) {
      throw new ApiError(
        415,
        'unsupported_content_type',
        'send {"version": "<ETag>"} as application/json',
      )
    }
    let body: unknown
    try {
      body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '')
    } catch {
      throw new ApiError(400, 'invalid_json', 'the body must be JSON: {"version": "<ETag>"}')
    }
    const { version } = parseWith(RestoreRequest, body, 'body')
    const wanted = versionFromIfMatch(version)
    const entry = (await store.history(ns)).find((e) => versionsEqual(e.version, wanted))
    if (entry === undefined) {
      throw new ApiError(
        404,
        'version_not_found',
        `namespace ${JSON.stringify(ns)} has no version ${version} in its history`,
      )
    }
    if (entry.dtab === null) {
      throw new ApiError(
        422,
        'unprocessable',
        `version ${version} is a deletion; it has no dtab to restore`,
      )
    }
    const dtab = Dtab.read(entry.dtab)
    const ifMatch = req.headers['if-match']
    const who = { who: req.principal?.name, why }
    let next: Uint8Array
    if (ifMatch !== undefined) {
      next = await store.update(ns, dtab, versionFromIfMatch(ifMatch), who)
    } else if ((await store.get(ns)) === null) {
      next = await store.create(ns, dtab, who)
    } else {
      throw new ApiError(
        428,
        'precondition_required',
        `namespace ${JSON.stringify(ns)} exists: send If-Match with its current version (its ETag)`,
      )
    }
    return reply.code(204).header('etag', versionToETag(next)).send()
  })
}
