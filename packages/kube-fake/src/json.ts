// JSON values as the fake stores them, and the few pure helpers every other file needs.
export type Json = null | boolean | number | string | Json[] | JsonObject
export type JsonObject = { [key: string]: Json }

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A deep copy: stored objects are never shared with callers, so nobody mutates the store. */
export function clone<T extends Json>(value: T): T {
  return structuredClone(value)
}

/**
 * Keys sorted at every level. A custom resource is served from an unstructured Go map, which
 * encodes its keys in order (the reference's GET of a DTab came back with sorted keys).
 */
export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (!isObject(value)) return value
  const out: JsonObject = {}
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key] as Json)
  return out
}

/** A canonical encoding (sorted keys) to tell a no-op write from a change. */
export function canonical(value: Json): string {
  return JSON.stringify(sortKeys(value))
}

export function metadataOf(object: JsonObject): JsonObject {
  const meta = object.metadata
  return isObject(meta) ? meta : {}
}

export function stringField(object: JsonObject, key: string): string | undefined {
  const value = object[key]
  return typeof value === 'string' ? value : undefined
}
