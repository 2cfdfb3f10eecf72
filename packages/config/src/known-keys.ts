// The keys a schema allows at a key path, for "did you mean ...?" on an unknown key. zod's
// unrecognized_keys issue names the stray keys but not the allowed ones, so the schema is walked
// along the path. Unions are narrowed by the value: a branch whose literal fields (a `kind`)
// disagree with the value's is not the one the user meant.
import type { z } from 'zod'

interface Def {
  readonly type: string
  readonly innerType?: z.ZodType
  readonly in?: z.ZodType
  readonly getter?: () => z.ZodType
  readonly options?: readonly z.ZodType[]
  readonly left?: z.ZodType
  readonly right?: z.ZodType
  readonly shape?: Readonly<Record<string, z.ZodType>>
  readonly element?: z.ZodType
  readonly valueType?: z.ZodType
  readonly values?: readonly unknown[]
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def

const WRAPPERS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'readonly',
  'catch',
  'nonoptional',
])

/** The object or container schemas `schema` stands for, given the value it checks. */
function unwrap(schema: z.ZodType, value: unknown, depth = 0): z.ZodType[] {
  if (depth > 32) return []
  const def = defOf(schema)
  if (WRAPPERS.has(def.type) && def.innerType) return unwrap(def.innerType, value, depth + 1)
  if (def.type === 'pipe' && def.in) return unwrap(def.in, value, depth + 1)
  if (def.type === 'lazy' && def.getter) return unwrap(def.getter(), value, depth + 1)
  if (def.type === 'intersection' && def.left && def.right) {
    return [...unwrap(def.left, value, depth + 1), ...unwrap(def.right, value, depth + 1)]
  }
  if (def.type === 'union' && def.options) {
    return def.options.flatMap((o) => unwrap(o, value, depth + 1)).filter((o) => fits(o, value))
  }
  return [schema]
}

/** An object schema whose literal fields (a `kind`) the value does not contradict. */
function fits(schema: z.ZodType, value: unknown): boolean {
  const def = defOf(schema)
  if (def.type !== 'object' || def.shape === undefined) return true
  if (value === null || typeof value !== 'object') return true
  for (const [key, field] of Object.entries(def.shape)) {
    const fieldDef = defOf(field)
    const given = (value as Record<string, unknown>)[key]
    if (fieldDef.type === 'literal' && given !== undefined && !fieldDef.values?.includes(given)) {
      return false
    }
  }
  return true
}

function child(schema: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  const def = defOf(schema)
  if (def.type === 'object' && typeof key === 'string') return def.shape?.[key]
  if (def.type === 'array' && typeof key === 'number') return def.element
  if (def.type === 'record' && typeof key === 'string') return def.valueType
  return undefined
}

/** The keys allowed at `path` in `input` by `schema`, as written in the schema. */
export function knownKeysAt(
  schema: z.ZodType,
  path: readonly PropertyKey[],
  input: unknown,
): string[] {
  let value = input
  let here = unwrap(schema, value)
  for (const key of path) {
    value =
      value !== null && typeof value === 'object'
        ? (value as Record<PropertyKey, unknown>)[key]
        : undefined
    const next = here.map((s) => child(s, key)).filter((s) => s !== undefined)
    here = next.flatMap((s) => unwrap(s, value))
  }
  const keys = new Set<string>()
  for (const s of here) {
    const def = defOf(s)
    if (def.type === 'object' && def.shape) for (const k of Object.keys(def.shape)) keys.add(k)
  }
  return [...keys]
}
