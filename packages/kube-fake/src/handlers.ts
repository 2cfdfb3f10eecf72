// The REST verbs of one served resource (reference §1 table): list, watch, get, create, replace,
// patch, delete, deletecollection, each answering with the apiserver's codes and bodies.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type DeleteOptions, parseDeleteOptions, parseJson, parseJsonPatch } from './bodies.js'
import { readBody, sendJson } from './http-io.js'
import { type Json, type JsonObject, metadataOf, stringField } from './json.js'
import { listItem, listObjects } from './list.js'
import { type ListOptions, parseListOptions, parseRv } from './list-options.js'
import {
  createObject,
  deleteObject,
  type FieldValidation,
  patchObject,
  present,
  replaceObject,
} from './objects.js'
import { jsonPatch, mergePatch } from './patch.js'
import type { ResourceRequest } from './request-info.js'
import { apiVersionOf, type ResourceType, resourceId } from './resource-type.js'
import { parseFieldSelector, parseLabelSelector } from './selectors.js'
import {
  badRequest,
  type ExpiredReason,
  methodNotAllowed,
  namespaceNotFound,
  notFound,
  StatusError,
  tooLargeResourceVersion,
} from './status.js'
import { objectKey, type Store } from './store.js'
import { WatchStream } from './watch.js'

export interface HandlerContext {
  readonly store: Store
  readonly expiredReason: ExpiredReason
  readonly maxBodyBytes: number
  /**
   * Whether a Kubernetes namespace exists (for creates: kube-apiserver's NamespaceLifecycle
   * admission answers 404 `namespaces "x" not found` otherwise). Every one, unless the fake
   * was started with a list.
   */
  readonly namespaceExists: (namespace: string) => boolean
  /** Registers an open watch so endWatches/severWatches/down reach it. */
  readonly openWatch: (w: WatchStream) => void
  readonly closeWatch: (w: WatchStream) => void
  /** The RV a bookmark for this resource carries (its last event's). */
  readonly lastEventRv: (resource: string) => number
  /** How long a create must still be held after the CRD's install. */
  readonly createHoldMs: (rt: ResourceType) => number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function fieldValidation(query: URLSearchParams): FieldValidation {
  const value = query.get('fieldValidation') ?? ''
  if (value === '' || value === 'Warn') return 'Warn'
  if (value === 'Ignore' || value === 'Strict') return value
  throw badRequest(
    `fieldValidation: Invalid value: ${JSON.stringify(value)}: allowed values are Ignore, Warn, and Strict`,
  )
}

function refuseDryRun(query: URLSearchParams, options?: DeleteOptions): void {
  const inBody = options?.dryRun != null && options.dryRun.length > 0
  if (query.has('dryRun') || inBody) {
    throw badRequest('dryRun is not implemented by the fake Kubernetes API server')
  }
}

async function jsonBody(req: IncomingMessage, ctx: HandlerContext, kind: string): Promise<Json> {
  const text = await readBody(req, ctx.maxBodyBytes)
  return parseJson(
    text,
    `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind`,
  )
}

export async function handleResource(
  ctx: HandlerContext,
  info: ResourceRequest,
  rt: ResourceType,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const namespace = rt.namespaced ? info.namespace : undefined
  switch (info.verb) {
    case 'list':
      sendJson(
        res,
        200,
        listObjects(ctx.store, rt, namespace, parseListOptions(query, false), ctx.expiredReason),
      )
      return
    case 'watch': {
      const options = parseListOptions(query, true)
      const fieldSelector =
        info.name === undefined
          ? options.fieldSelector
          : [options.fieldSelector, `metadata.name=${info.name}`].filter(Boolean).join(',')
      startWatch(ctx, rt, namespace, { ...options, fieldSelector }, res)
      return
    }
    case 'get': {
      const name = info.name ?? ''
      const rv = query.get('resourceVersion') ?? ''
      if (rv !== '' && rv !== '0' && parseRv(rv) > ctx.store.revision) {
        throw tooLargeResourceVersion(parseRv(rv), ctx.store.revision)
      }
      const stored = ctx.store.get(resourceId(rt), objectKey(namespace ?? '', name))
      if (stored === undefined) throw notFound(rt, name)
      sendJson(res, 200, present(rt, stored))
      return
    }
    case 'create': {
      if (info.name !== undefined) throw methodNotAllowed()
      refuseDryRun(query)
      const validation = fieldValidation(query)
      const body = await jsonBody(req, ctx, rt.kind)
      // Admission, before the object is validated or stored.
      if (rt.namespaced && namespace !== undefined && !ctx.namespaceExists(namespace))
        throw namespaceNotFound(namespace)
      const hold = ctx.createHoldMs(rt)
      if (hold > 0) await sleep(hold)
      const result = createObject(ctx.store, rt, namespace, body, validation)
      sendJson(res, 201, result.object, result.warnings)
      return
    }
    case 'update': {
      refuseDryRun(query)
      const validation = fieldValidation(query)
      const body = await jsonBody(req, ctx, rt.kind)
      const result = replaceObject(ctx.store, rt, namespace, info.name ?? '', body, { validation })
      sendJson(res, 200, result.object, result.warnings)
      return
    }
    case 'patch': {
      refuseDryRun(query)
      const validation = fieldValidation(query)
      const apply = await readPatch(req, ctx, rt)
      const result = patchObject(ctx.store, rt, namespace, info.name ?? '', apply, validation)
      sendJson(res, 200, result.object, result.warnings)
      return
    }
    case 'delete': {
      const options = parseDeleteOptions(await readBody(req, ctx.maxBodyBytes))
      refuseDryRun(query, options)
      const name = info.name ?? ''
      const { object, deleted } = deleteObject(ctx.store, rt, namespace, name, options)
      // Held by finalizers: the object, now with its deletionTimestamp (200, not 202, unless
      // orphanDependents=false was sent, which nothing here sends).
      if (rt.deleteReturnsObject || !deleted) {
        sendJson(res, 200, present(rt, object))
        return
      }
      sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: successDetails(rt, name, stringField(metadataOf(object), 'uid')),
      })
      return
    }
    case 'deletecollection': {
      refuseDryRun(query)
      await readBody(req, ctx.maxBodyBytes)
      const labels = parseLabelSelector(query.get('labelSelector') ?? undefined)
      const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined)
      const deleted: JsonObject[] = []
      for (const { object } of ctx.store.list(resourceId(rt), namespace)) {
        if (!labels(object) || !fields(object)) continue
        const meta = metadataOf(object)
        const result = deleteObject(
          ctx.store,
          rt,
          stringField(meta, 'namespace'),
          stringField(meta, 'name') ?? '',
          {},
        )
        deleted.push(listItem(rt, result.object))
      }
      sendJson(res, 200, {
        kind: rt.listKind,
        apiVersion: apiVersionOf(rt),
        metadata: { resourceVersion: String(ctx.store.revision) },
        items: deleted,
      })
      return
    }
  }
}

function successDetails(rt: ResourceType, name: string, uid: string | undefined): JsonObject {
  const details: JsonObject = { name }
  if (rt.group !== '') details.group = rt.group
  details.kind = rt.plural
  if (uid !== undefined) details.uid = uid
  return details
}

const MERGE = 'application/merge-patch+json'
const JSON_PATCH = 'application/json-patch+json'
const STRATEGIC = 'application/strategic-merge-patch+json'

/**
 * 415 for a patch type the fake does not apply. A real server refuses strategic merge patch for
 * CRs with exactly this message; apply patches (and strategic merge on built-ins) it would take,
 * so for those the fake says it is the one refusing.
 */
function unsupportedPatch(type: string, rt: ResourceType): StatusError {
  const realRefusal =
    !type.startsWith('application/apply-patch') && (rt.custom || type !== STRATEGIC)
  const accepted = rt.custom
    ? 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml'
    : `application/json-patch+json, application/merge-patch+json, ${STRATEGIC}, application/apply-patch+yaml`
  return new StatusError({
    code: 415,
    reason: 'UnsupportedMediaType',
    message: realRefusal
      ? `the body of the request was in an unknown format - accepted media types include: ${accepted}`
      : `the fake Kubernetes API server does not implement ${type} (no server-side apply, no strategic merge patch); use application/merge-patch+json or application/json-patch+json`,
  })
}

async function readPatch(
  req: IncomingMessage,
  ctx: HandlerContext,
  rt: ResourceType,
): Promise<(served: JsonObject) => unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type !== MERGE && type !== JSON_PATCH) throw unsupportedPatch(type, rt)
  const text = await readBody(req, ctx.maxBodyBytes)
  if (type === MERGE) {
    const patch = parseJson(text, 'merge patch')
    return (served) => mergePatch(served, patch)
  }
  const ops = parseJsonPatch(text)
  return (served) => jsonPatch(served, ops)
}

function startWatch(
  ctx: HandlerContext,
  rt: ResourceType,
  namespace: string | undefined,
  options: ListOptions,
  res: ServerResponse,
): void {
  const labels = parseLabelSelector(options.labelSelector)
  const fields = parseFieldSelector(options.fieldSelector)
  const rv = options.resourceVersion
  const fromState = rv === undefined || rv === '0'
  const start = fromState ? ctx.store.revision : parseRv(rv)
  const replay = fromState ? [] : ctx.store.history.since(start)
  const watch = new WatchStream(
    res,
    { rt, namespace, labels, fields },
    start,
    options.allowWatchBookmarks,
    (w) => ctx.closeWatch(w),
  )
  if (replay === undefined) {
    watch.expire(
      `too old resource version: ${start} (${ctx.store.history.floor})`,
      ctx.expiredReason,
    )
    return
  }
  if (fromState) {
    for (const { object } of ctx.store.list(resourceId(rt), namespace)) watch.sendInitial(object)
  } else {
    for (const event of replay) watch.deliver(event)
  }
  ctx.openWatch(watch)
  if (options.timeoutSeconds !== undefined) {
    watch.endAfter(options.timeoutSeconds * 1000, () => ctx.lastEventRv(resourceId(rt)))
  }
}
