// The loop's cache: the last known state of every object, keyed, and the resourceVersion it is
// at. A list replaces it wholesale; each watch event changes it. Either way it says what
// changed, once: a re-list emits deletes for objects gone and upserts for objects whose
// resourceVersion moved, nothing for the rest; an event at a version the cache already holds
// emits nothing. Every object is zod-parsed; one that does not parse is reported and left out.
import { z } from 'zod'
import { type Change, KubeObject, type ReflectProblem } from './reflect-types.js'

const WithVersion = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().min(1) }),
})

export interface ObjectCacheOptions<T extends KubeObject> {
  readonly schema: z.ZodType<T>
  readonly keyOf: (object: KubeObject) => string
  readonly emit: (changes: readonly Change<T>[], cause: 'list' | 'watch') => void
  readonly problem: (problem: ReflectProblem) => void
}

export class ObjectCache<T extends KubeObject> {
  private map = new Map<string, T>()
  private rv: string | null = null

  constructor(private readonly o: ObjectCacheOptions<T>) {}

  /** The resourceVersion the cache is at (the list's, then each event's); null before a list. */
  get resourceVersion(): string | null {
    return this.rv
  }

  get(key: string): T | undefined {
    return this.map.get(key)
  }

  objects(): ReadonlyMap<string, T> {
    return this.map
  }

  /** Replaces the cache with a list's items; emits what changed, as one batch. */
  replace(items: readonly unknown[], resourceVersion: string): void {
    const next = new Map<string, T>()
    for (const raw of items) {
      const object = this.parse(raw)
      if (object) next.set(this.o.keyOf(object), object)
    }
    const changes: Change<T>[] = []
    const keys = [...new Set([...this.map.keys(), ...next.keys()])].sort()
    for (const key of keys) {
      const before = this.map.get(key)
      const after = next.get(key)
      if (after === undefined) {
        if (before !== undefined)
          changes.push({ type: 'delete', key, previous: before, resourceVersion: null })
      } else if (
        before === undefined ||
        before.metadata.resourceVersion !== after.metadata.resourceVersion
      ) {
        changes.push({ type: 'upsert', key, object: after, previous: before ?? null })
      }
    }
    this.map = next
    this.rv = resourceVersion
    if (changes.length > 0) this.o.emit(changes, 'list')
  }

  /** Applies one watch event other than ERROR (the watch itself handles that). */
  apply(type: unknown, object: unknown): void {
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.upsert(object)
        return
      case 'DELETED':
        this.delete(object)
        return
      case 'BOOKMARK': {
        const version = WithVersion.safeParse(object)
        if (version.success) this.rv = version.data.metadata.resourceVersion
        else this.invalid(object, version.error)
        return
      }
      default:
        this.o.problem({
          kind: 'invalid_object',
          key: null,
          resourceVersion: null,
          message: `a watch event of unknown type ${JSON.stringify(type)?.slice(0, 40)}`,
        })
    }
  }

  private upsert(object: unknown): void {
    const version = WithVersion.safeParse(object)
    if (version.success) this.rv = version.data.metadata.resourceVersion
    const meta = KubeObject.safeParse(object)
    const parsed = this.parse(object)
    if (!parsed) {
      // Unreadable now: whatever we knew of it is no longer its state.
      const key = meta.success ? this.o.keyOf(meta.data) : null
      const before = key === null ? undefined : this.map.get(key)
      if (key !== null && before !== undefined) {
        this.map.delete(key)
        this.o.emit([{ type: 'delete', key, previous: before, resourceVersion: this.rv }], 'watch')
      }
      return
    }
    const key = this.o.keyOf(parsed)
    const before = this.map.get(key)
    if (before && before.metadata.resourceVersion === parsed.metadata.resourceVersion) return
    this.map.set(key, parsed)
    this.o.emit([{ type: 'upsert', key, object: parsed, previous: before ?? null }], 'watch')
  }

  private delete(object: unknown): void {
    const meta = KubeObject.safeParse(object)
    if (!meta.success) {
      this.invalid(object, meta.error)
      return
    }
    const resourceVersion = meta.data.metadata.resourceVersion
    this.rv = resourceVersion
    const key = this.o.keyOf(meta.data)
    const before = this.map.get(key)
    if (before === undefined) return
    this.map.delete(key)
    this.o.emit([{ type: 'delete', key, previous: before, resourceVersion }], 'watch')
  }

  /** The object as T, or null (reported) when it does not parse. */
  private parse(raw: unknown): T | null {
    const meta = KubeObject.safeParse(raw)
    if (!meta.success) {
      this.invalid(raw, meta.error)
      return null
    }
    const parsed = this.o.schema.safeParse(raw)
    if (!parsed.success) {
      this.invalid(raw, parsed.error)
      return null
    }
    return parsed.data
  }

  private invalid(raw: unknown, error: z.ZodError): void {
    const meta = KubeObject.safeParse(raw)
    this.o.problem({
      kind: 'invalid_object',
      key: meta.success ? meta.data.metadata.name : null,
      resourceVersion: meta.success ? meta.data.metadata.resourceVersion : null,
      message: z.prettifyError(error).slice(0, 500),
    })
  }
}
