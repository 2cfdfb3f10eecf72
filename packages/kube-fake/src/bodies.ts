// Request bodies, parsed at the boundary with zod: objects (create, replace, the direct API),
// DeleteOptions, and patches. A malformed body is a 400 Status, never an exception that escapes.
import { z } from 'zod'
import type { Json, JsonObject } from './json.js'
import { badRequest, StatusError } from './status.js'

const ObjectMetaInput = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional().nullable(),
  annotations: z.record(z.string(), z.string()).optional().nullable(),
  finalizers: z.array(z.string()).optional().nullable(),
})
export type ObjectMetaInput = z.infer<typeof ObjectMetaInput>

const ObjectInput = z.looseObject({
  apiVersion: z.string().min(1, 'apiVersion is required'),
  kind: z.string().min(1, "Object 'Kind' is missing"),
  metadata: ObjectMetaInput.optional(),
})

export interface IncomingObject {
  readonly object: JsonObject
  readonly meta: ObjectMetaInput
}

/** Parses JSON text (request body); any failure is the 400 a real server gives for undecodable input. */
export function parseJson(text: string, what: string): Json {
  let value: Json
  try {
    value = JSON.parse(text) as Json
  } catch (err) {
    throw badRequest(`${what}: json parse error: ${(err as Error).message}`)
  }
  if (depthExceeds(value, MAX_DEPTH)) {
    throw badRequest(`${what}: json parse error: exceeded max depth ${MAX_DEPTH}`)
  }
  return value
}

/** Go's encoding/json refuses documents nested deeper than 10000; so does the fake (its code recurses). */
const MAX_DEPTH = 10_000

function depthExceeds(root: Json, max: number): boolean {
  const stack: { value: Json; depth: number }[] = [{ value: root, depth: 1 }]
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item
    if (typeof value !== 'object' || value === null) continue
    if (depth > max) return true
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      stack.push({ value: child, depth: depth + 1 })
    }
  }
  return false
}

/** Checks an object's shape: apiVersion and kind strings, metadata with string name/labels/… */
export function checkObject(value: unknown, kind: string): IncomingObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: expected an object`,
    )
  }
  const parsed = ObjectInput.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue === undefined ? '' : issue.path.join('.')
    throw badRequest(
      `${kind} in version "?" cannot be handled as a ${kind}: ${where === '' ? '' : `${where}: `}${issue?.message ?? 'invalid object'}`,
    )
  }
  return { object: value as JsonObject, meta: parsed.data.metadata ?? {} }
}

const DeleteOptionsInput = z.looseObject({
  kind: z.string().optional(),
  apiVersion: z.string().optional(),
  preconditions: z
    .looseObject({ resourceVersion: z.string().optional(), uid: z.string().optional() })
    .optional()
    .nullable(),
  propagationPolicy: z.enum(['Orphan', 'Background', 'Foreground']).optional().nullable(),
  gracePeriodSeconds: z.number().int().optional().nullable(),
  orphanDependents: z.boolean().optional().nullable(),
  dryRun: z.array(z.string()).optional().nullable(),
})
export type DeleteOptions = z.infer<typeof DeleteOptionsInput>

export function parseDeleteOptions(text: string): DeleteOptions {
  if (text.trim() === '') return {}
  const parsed = DeleteOptionsInput.safeParse(parseJson(text, 'DeleteOptions'))
  if (!parsed.success) {
    throw badRequest(`DeleteOptions: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`)
  }
  return parsed.data
}

/** JSON patch operations (RFC 6902) as zod reads them. */
const JsonPatchOp = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), path: z.string(), value: z.json() }),
  z.object({ op: z.literal('replace'), path: z.string(), value: z.json() }),
  z.object({ op: z.literal('test'), path: z.string(), value: z.json() }),
  z.object({ op: z.literal('remove'), path: z.string() }),
  z.object({ op: z.literal('move'), from: z.string(), path: z.string() }),
  z.object({ op: z.literal('copy'), from: z.string(), path: z.string() }),
])
export type JsonPatchOp = z.infer<typeof JsonPatchOp>

export function parseJsonPatch(text: string): JsonPatchOp[] {
  const parsed = z.array(JsonPatchOp).safeParse(parseJson(text, 'json patch'))
  if (!parsed.success) {
    throw new StatusError({
      code: 400,
      reason: 'BadRequest',
      message: `invalid json patch: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`,
    })
  }
  return parsed.data as JsonPatchOp[]
}
