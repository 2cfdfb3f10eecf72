// Structural pruning as the apiextensions server does it (structuralpruning.PruneWithOptions):
// fields the schema does not declare are dropped, except below x-kubernetes-preserve-unknown-fields
// (until a nested `properties`/`additionalProperties` turns pruning back on). It runs on every
// write and again on every read, so a too-narrow CRD loses data exactly as a real cluster does.
import { isObject, type Json, type JsonObject } from './json.js'
import type { SchemaNode } from './schema.js'

const ROOT_KEPT = new Set(['apiVersion', 'kind', 'metadata'])

/** ObjectMeta's fields; anything else under metadata is dropped like any unknown field. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
])

/**
 * Prunes a whole object in place against its version's schema and returns the paths dropped
 * (`foo`, `spec.bar`, `dentries[0].x`, `metadata.bogus`), in the order met.
 */
export function pruneObject(object: JsonObject, schema: SchemaNode | undefined): string[] {
  const dropped: string[] = []
  const meta = object.metadata
  if (isObject(meta)) {
    for (const key of Object.keys(meta)) {
      if (!OBJECT_META_FIELDS.has(key)) {
        dropped.push(`metadata.${key}`)
        delete meta[key]
      }
    }
  }
  if (schema === undefined) return dropped
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) {
    for (const [key, value] of Object.entries(object)) {
      if (ROOT_KEPT.has(key)) continue
      const sub = childSchema(schema, key)
      if (sub !== undefined) prune(value, sub, key, dropped)
    }
    return dropped
  }
  for (const [key, value] of Object.entries(object)) {
    if (ROOT_KEPT.has(key)) continue
    const sub = childSchema(schema, key)
    if (sub === undefined && !keepsAll(schema)) {
      dropped.push(key)
      delete object[key]
    } else if (sub !== undefined) {
      prune(value, sub, key, dropped)
    }
  }
  return dropped
}

function childSchema(schema: SchemaNode, key: string): SchemaNode | undefined {
  const prop = schema.properties?.[key]
  if (prop !== undefined) return prop
  const extra = schema.additionalProperties
  return typeof extra === 'object' ? extra : undefined
}

/** `additionalProperties: true` keeps every key without a schema to prune it with. */
function keepsAll(schema: SchemaNode): boolean {
  return schema.additionalProperties === true
}

function prune(value: Json, schema: SchemaNode | undefined, path: string, dropped: string[]): void {
  if (schema?.['x-kubernetes-preserve-unknown-fields'] === true) {
    skipPrune(value, schema, path, dropped)
    return
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      prune(item, schema?.items, `${path}[${i}]`, dropped)
    })
    return
  }
  if (!isObject(value)) return
  if (schema !== undefined && keepsAll(schema)) return
  for (const [key, child] of Object.entries(value)) {
    if (schema?.['x-kubernetes-embedded-resource'] === true && ROOT_KEPT.has(key)) continue
    const sub = schema === undefined ? undefined : childSchema(schema, key)
    if (sub === undefined) {
      dropped.push(`${path}.${key}`)
      delete value[key]
    } else {
      prune(child, sub, `${path}.${key}`, dropped)
    }
  }
}

/** Below preserve-unknown-fields: keep everything, but prune where a nested schema declares keys. */
function skipPrune(value: Json, schema: SchemaNode, path: string, dropped: string[]): void {
  if (Array.isArray(value)) {
    const items = schema.items
    if (items === undefined) return
    value.forEach((item, i) => {
      skipPrune(item, items, `${path}[${i}]`, dropped)
    })
    return
  }
  if (!isObject(value)) return
  for (const [key, child] of Object.entries(value)) {
    const sub = childSchema(schema, key)
    if (sub !== undefined) prune(child, sub, `${path}.${key}`, dropped)
  }
}
