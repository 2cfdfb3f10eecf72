// The write path shared by HTTP and the direct API (api.put/remove), and the read view. Checks run
// in the apiserver's order: decode and prune (400), URL vs body (400), name validation (422),
// storage (500 for a create with an RV, 404, 422 for an update without RV, 409, no-op detection).
import { randomUUID } from 'node:crypto'
import { checkObject, type DeleteOptions } from './bodies.js'
import {
  canonical,
  clone,
  isObject,
  type JsonObject,
  metadataOf,
  sortKeys,
  stringField,
} from './json.js'
import { generateSuffix, nameErrors } from './names.js'
import { pruneObject } from './prune.js'
import {
  apiVersionOf,
  qualifiedKind,
  qualifiedResource,
  type ResourceType,
  resourceId,
} from './resource-type.js'
import {
  alreadyExists,
  badRequest,
  invalid,
  notFound,
  preconditionConflict,
  StatusError,
  updateConflict,
} from './status.js'
import { objectKey, type Store } from './store.js'

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict'

export interface WriteResult {
  /** The object as a client reads it back. */
  readonly object: JsonObject
  /** `unknown field "…"` warnings (fieldValidation Warn). */
  readonly warnings: string[]
  /** False for a no-op update (same RV, no event). */
  readonly changed: boolean
}

/** The object as served: the requested version's apiVersion, pruned with its schema, keys sorted for CRs. */
export function present(rt: ResourceType, stored: JsonObject): JsonObject {
  const object = clone(stored)
  object.apiVersion = apiVersionOf(rt)
  if (!rt.custom) return object
  pruneObject(object, rt.schema)
  return sortKeys(object) as JsonObject
}

function scopeNamespace(rt: ResourceType, namespace: string | undefined): string {
  return rt.namespaced ? (namespace ?? '') : ''
}

/** Decodes an incoming object for `rt`: kind check, pruning with warnings or the Strict 400. */
function decode(rt: ResourceType, body: unknown, validation: FieldValidation) {
  const incoming = checkObject(body, rt.kind)
  const object = clone(incoming.object)
  if (object.apiVersion !== apiVersionOf(rt)) {
    throw badRequest(
      `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersionOf(rt)})`,
    )
  }
  if (object.kind !== rt.kind) {
    throw badRequest(
      `the kind in the data (${String(object.kind)}) does not match the expected kind (${rt.kind})`,
    )
  }
  if (!isObject(object.metadata)) object.metadata = {}
  const dropped = pruneObject(object, rt.custom ? rt.schema : undefined)
  const unknown = dropped.map((path) => `unknown field "${path}"`)
  if (validation === 'Strict' && unknown.length > 0) {
    throw badRequest(
      `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${unknown.join(', ')}`,
    )
  }
  const warnings = validation === 'Warn' ? unknown : []
  return { object: rt.custom ? (sortKeys(object) as JsonObject) : object, warnings }
}

function checkNamespace(rt: ResourceType, meta: JsonObject, namespace: string): void {
  if (!rt.namespaced) {
    delete meta.namespace
    return
  }
  const given = stringField(meta, 'namespace') ?? ''
  if (given !== '' && given !== namespace) {
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    )
  }
  meta.namespace = namespace
}

function validateName(rt: ResourceType, name: string): void {
  const errors = nameErrors(name, rt.nameRule)
  if (errors.length > 0) {
    throw invalid(qualifiedKind(rt), name, errors, { group: rt.group, kind: rt.kind, name })
  }
}

/** Server-set metadata a client cannot write. */
const SERVER_FIELDS = [
  'uid',
  'creationTimestamp',
  'generation',
  'resourceVersion',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const

function nowTimestamp(): string {
  return `${new Date().toISOString().slice(0, 19)}Z`
}

export function createObject(
  store: Store,
  rt: ResourceType,
  urlNamespace: string | undefined,
  body: unknown,
  validation: FieldValidation,
): WriteResult {
  const { object, warnings } = decode(rt, body, validation)
  const meta = metadataOf(object)
  const namespace = scopeNamespace(rt, urlNamespace)
  checkNamespace(rt, meta, namespace)
  let name = stringField(meta, 'name') ?? ''
  const generateName = stringField(meta, 'generateName') ?? ''
  if (name === '' && generateName !== '') {
    name = `${generateName}${generateSuffix()}`
    meta.name = name
  }
  validateName(rt, name)
  const rv = stringField(meta, 'resourceVersion') ?? ''
  if (rv !== '' && rv !== '0') {
    throw new StatusError({
      code: 500,
      message: 'resourceVersion should not be set on objects to be created',
    })
  }
  const key = objectKey(namespace, name)
  if (store.get(resourceId(rt), key) !== undefined) throw alreadyExists(rt, name)
  for (const field of SERVER_FIELDS) delete meta[field]
  meta.uid = randomUUID()
  meta.creationTimestamp = nowTimestamp()
  if (rt.generation) meta.generation = 1
  meta.resourceVersion = String(store.nextRevision())
  const stored = rt.custom ? (sortKeys(object) as JsonObject) : object
  store.commit(resourceId(rt), key, 'ADDED', stored)
  return { object: present(rt, stored), warnings, changed: true }
}

export interface UpdateOptions {
  readonly validation: FieldValidation
  /** The direct API's put: no resourceVersion needed, none compared. */
  readonly unconditional?: boolean
}

export function replaceObject(
  store: Store,
  rt: ResourceType,
  urlNamespace: string | undefined,
  urlName: string,
  body: unknown,
  options: UpdateOptions,
): WriteResult {
  const { object, warnings } = decode(rt, body, options.validation)
  const meta = metadataOf(object)
  const namespace = scopeNamespace(rt, urlNamespace)
  const name = stringField(meta, 'name') ?? ''
  if (name !== urlName) {
    throw badRequest(
      `the name of the object (${name}) does not match the name on the URL (${urlName})`,
    )
  }
  checkNamespace(rt, meta, namespace)
  const key = objectKey(namespace, name)
  const current = store.get(resourceId(rt), key)
  if (current === undefined) throw notFound(rt, name)
  const currentMeta = metadataOf(current)
  const currentRv = stringField(currentMeta, 'resourceVersion') ?? ''
  const givenRv = stringField(meta, 'resourceVersion') ?? ''
  if (!options.unconditional) {
    if (givenRv === '' && rt.custom) {
      throw invalid(
        qualifiedResource(rt),
        name,
        [
          {
            field: 'metadata.resourceVersion',
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 0x0: must be specified for an update',
          },
        ],
        { group: rt.group, kind: rt.plural, name },
      )
    }
    if (givenRv !== '' && givenRv !== currentRv) throw updateConflict(rt, name)
  }
  validateName(rt, name)
  return commitUpdate(store, rt, key, current, object, warnings)
}

/** Carries the server fields over, bumps generation on a non-metadata change, skips no-ops. */
function commitUpdate(
  store: Store,
  rt: ResourceType,
  key: string,
  current: JsonObject,
  object: JsonObject,
  warnings: string[],
): WriteResult {
  const meta = metadataOf(object)
  const currentMeta = metadataOf(current)
  for (const field of SERVER_FIELDS) {
    const value = currentMeta[field]
    if (value === undefined) delete meta[field]
    else meta[field] = value
  }
  if (currentMeta.deletionTimestamp !== undefined) {
    // Being deleted: no finalizer may be added, and the update that removes the last one
    // deletes the object (the registry's deleteWithoutFinalizers): a DELETED event, and the
    // object as it was stored for an answer.
    const before = new Set(finalizersOf(currentMeta))
    const added = finalizersOf(meta).filter((f) => !before.has(f))
    if (added.length > 0) {
      const name = stringField(meta, 'name') ?? ''
      throw invalid(
        qualifiedKind(rt),
        name,
        [
          {
            field: 'metadata.finalizers',
            reason: 'FieldValueForbidden',
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          },
        ],
        { group: rt.group, kind: rt.kind, name },
      )
    }
    if (finalizersOf(meta).length === 0) {
      removeStored(store, resourceId(rt), key, current)
      return { object: present(rt, current), warnings, changed: true }
    }
  }
  // generation compares with the old object as decoded (pruned with today's schema), while the
  // no-op check below compares with the stored bytes, as etcd3's GuaranteedUpdate does: so a
  // metadata-only write under a narrowed schema persists the loss with generation unchanged.
  const { metadata: _a, ...newBody } = object
  const { metadata: _b, ...oldBody } = present(rt, current)
  const specChanged = canonical(newBody) !== canonical(oldBody)
  if (specChanged && rt.generation) meta.generation = Number(currentMeta.generation ?? 0) + 1
  const candidate = rt.custom ? (sortKeys(object) as JsonObject) : object
  if (canonical(candidate) === canonical(current)) {
    return { object: present(rt, current), warnings, changed: false }
  }
  metadataOf(candidate).resourceVersion = String(store.nextRevision())
  store.commit(resourceId(rt), key, 'MODIFIED', candidate)
  return { object: present(rt, candidate), warnings, changed: true }
}

/**
 * A patch: `apply` turns the object as served into the patched object. A resourceVersion the
 * patch sets is checked like PUT's (409); without one the patch applies to whatever is current.
 */
export function patchObject(
  store: Store,
  rt: ResourceType,
  urlNamespace: string | undefined,
  urlName: string,
  apply: (served: JsonObject) => unknown,
  validation: FieldValidation,
): WriteResult {
  const namespace = scopeNamespace(rt, urlNamespace)
  const key = objectKey(namespace, urlName)
  const current = store.get(resourceId(rt), key)
  if (current === undefined) throw notFound(rt, urlName)
  const currentRv = stringField(metadataOf(current), 'resourceVersion') ?? ''
  const patched = apply(present(rt, current))
  const { object, warnings } = decode(rt, patched, validation)
  const meta = metadataOf(object)
  const name = stringField(meta, 'name') ?? ''
  if (name !== urlName) {
    throw badRequest(
      `the name of the object (${name}) does not match the name on the URL (${urlName})`,
    )
  }
  checkNamespace(rt, meta, namespace)
  const givenRv = stringField(meta, 'resourceVersion') ?? ''
  if (givenRv !== '' && givenRv !== currentRv) throw updateConflict(rt, urlName)
  return commitUpdate(store, rt, key, current, object, warnings)
}

export interface DeleteResult {
  /**
   * Deleted: the last state, carrying the deletion's RV (what the DELETED event carries). Held
   * by finalizers: the object as it stays, with its deletionTimestamp.
   */
  readonly object: JsonObject
  /** False while finalizers hold the object. */
  readonly deleted: boolean
}

function finalizersOf(meta: JsonObject): string[] {
  const f = meta.finalizers
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : []
}

export function deleteObject(
  store: Store,
  rt: ResourceType,
  urlNamespace: string | undefined,
  name: string,
  options: DeleteOptions,
): DeleteResult {
  const namespace = scopeNamespace(rt, urlNamespace)
  const key = objectKey(namespace, name)
  const current = store.get(resourceId(rt), key)
  if (current === undefined) throw notFound(rt, name)
  const meta = metadataOf(current)
  const pre = options.preconditions
  const recordRv = stringField(meta, 'resourceVersion') ?? ''
  if (pre?.uid !== undefined && pre.uid !== stringField(meta, 'uid')) {
    throw preconditionConflict(
      rt,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stringField(meta, 'uid') ?? ''}`,
    )
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== recordRv) {
    throw preconditionConflict(
      rt,
      name,
      `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${recordRv}). The object might have been modified`,
    )
  }
  if (finalizersOf(meta).length > 0) {
    // Marked for deletion; it stays until an update empties its finalizers (commitUpdate). A
    // second delete changes nothing.
    if (meta.deletionTimestamp !== undefined)
      return { object: present(rt, current), deleted: false }
    const marked = clone(current)
    const markedMeta = metadataOf(marked)
    markedMeta.deletionTimestamp = nowTimestamp()
    markedMeta.deletionGracePeriodSeconds = 0
    markedMeta.resourceVersion = String(store.nextRevision())
    store.commit(resourceId(rt), key, 'MODIFIED', marked)
    return { object: present(rt, marked), deleted: false }
  }
  return { object: removeStored(store, resourceId(rt), key, current), deleted: true }
}

/** Deletes a stored object of resource `<group>/<plural>`: a DELETED event with the deletion's RV. */
export function removeStored(
  store: Store,
  resource: string,
  key: string,
  current: JsonObject,
): JsonObject {
  const last = clone(current)
  metadataOf(last).resourceVersion = String(store.nextRevision())
  store.commit(resource, key, 'DELETED', last)
  return last
}
