// list: the resourceVersion semantics of reference §2.2 (Most Recent, Any, Not older than,
// Exact through the history), selectors, and limit/continue paging with expiring tokens.
import { z } from 'zod'
import type { JsonObject } from './json.js'
import { type ListOptions, parseRv } from './list-options.js'
import { present } from './objects.js'
import { apiVersionOf, type ResourceType, resourceId } from './resource-type.js'
import { parseFieldSelector, parseLabelSelector } from './selectors.js'
import { badRequest, type ExpiredReason, expired, tooLargeResourceVersion } from './status.js'
import type { Store } from './store.js'

const TokenSchema = z.object({
  v: z.literal('meta.k8s.io/v1'),
  rv: z.number().int().nonnegative(),
  start: z.string(),
})

function encodeToken(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url')
}

/** etcd3's decodeContinue, with its errors as the store's 400 ("invalid continue token: …"). */
function decodeToken(token: string): { rv: number; start: string } {
  let data: unknown
  try {
    data = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
  } catch (err) {
    throw badRequest(`invalid continue token: continue key is not valid: ${(err as Error).message}`)
  }
  const parsed = TokenSchema.safeParse(data)
  if (!parsed.success) {
    throw badRequest(
      'invalid continue token: continue key is not valid: server does not recognize this encoded version',
    )
  }
  if (parsed.data.rv === 0) {
    throw badRequest(
      'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    )
  }
  if (parsed.data.start === '') {
    throw badRequest(
      'invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)',
    )
  }
  return parsed.data
}

const LIST_TOO_OLD = 'The resourceVersion for the provided list is too old.'
const CONTINUE_TOO_OLD =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'

export function listObjects(
  store: Store,
  rt: ResourceType,
  namespace: string | undefined,
  options: ListOptions,
  expiredReason: ExpiredReason,
): JsonObject {
  const labels = parseLabelSelector(options.labelSelector)
  const fields = parseFieldSelector(options.fieldSelector)
  const id = resourceId(rt)
  let rv = store.revision
  let start = ''
  let limit = options.limit
  let entries: { key: string; object: JsonObject }[] | undefined
  if (options.continueToken !== undefined) {
    const token = decodeToken(options.continueToken)
    if (options.resourceVersion !== undefined && options.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue')
    }
    entries = store.listAt(id, token.rv, namespace)
    if (entries === undefined) {
      throw expired(CONTINUE_TOO_OLD, expiredReason, encodeToken(store.revision, token.start))
    }
    rv = token.rv
    start = token.start
  } else if (options.resourceVersion === undefined) {
    entries = store.list(id, namespace)
  } else if (options.resourceVersion === '0' && options.resourceVersionMatch === undefined) {
    // "Any": served from the watch cache, which (in 1.26) ignores limit for RV 0.
    entries = store.list(id, namespace)
    limit = undefined
  } else {
    const requested = parseRv(options.resourceVersion)
    const exact =
      options.resourceVersionMatch === 'Exact' ||
      (options.resourceVersionMatch === undefined && options.limit !== undefined)
    if (requested > store.revision) throw tooLargeResourceVersion(requested, store.revision)
    if (exact) {
      entries = store.listAt(id, requested, namespace)
      if (entries === undefined) throw expired(LIST_TOO_OLD, expiredReason)
      rv = requested
    } else {
      entries = store.list(id, namespace)
    }
  }
  const matching = entries.filter((e) => e.key >= start && labels(e.object) && fields(e.object))
  const page = limit === undefined ? matching : matching.slice(0, limit)
  const metadata: JsonObject = { resourceVersion: String(rv) }
  if (limit !== undefined && matching.length > limit) {
    const last = page[page.length - 1]
    if (last !== undefined) {
      metadata.continue = encodeToken(rv, `${last.key}\u0000`)
      // etcd counts the rest only when no selector filters it.
      if (options.labelSelector === undefined && options.fieldSelector === undefined) {
        metadata.remainingItemCount = matching.length - limit
      }
    }
  }
  return {
    kind: rt.listKind,
    apiVersion: apiVersionOf(rt),
    metadata,
    items: page.map((e) => listItem(rt, e.object)),
  }
}

/** Built-in list items carry no apiVersion/kind (as kube-apiserver serves them); CR items do. */
export function listItem(rt: ResourceType, stored: JsonObject): JsonObject {
  const object = present(rt, stored)
  if (rt.custom) return object
  const { apiVersion: _a, kind: _k, ...rest } = object
  return rest
}
