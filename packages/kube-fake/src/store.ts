// The object store: one global revision counter for every write of every kind (etcd's), objects
// per resource in key order, the bounded history, and a listener per write for watches.
import { History, type StoreEvent } from './history.js'
import type { JsonObject } from './json.js'

export type Listener = (event: StoreEvent) => void

export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`
}

export class Store {
  private revisionNumber = 0
  private readonly byResource = new Map<string, Map<string, JsonObject>>()
  readonly history: History
  private readonly listeners = new Set<Listener>()

  constructor(historySize: number) {
    this.history = new History(historySize)
  }

  get revision(): number {
    return this.revisionNumber
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get(resource: string, key: string): JsonObject | undefined {
    return this.byResource.get(resource)?.get(key)
  }

  /** Objects of a resource (optionally one namespace) in key order. */
  list(resource: string, namespace?: string): { key: string; object: JsonObject }[] {
    const objects = this.byResource.get(resource)
    if (objects === undefined) return []
    const prefix = namespace === undefined ? undefined : `${namespace}/`
    const out: { key: string; object: JsonObject }[] = []
    for (const [key, object] of objects) {
      if (prefix === undefined || key.startsWith(prefix)) out.push({ key, object })
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  /**
   * The resource's objects as they were at `rv`, by rolling the history back; undefined when
   * `rv` is older than the history holds.
   */
  listAt(
    resource: string,
    rv: number,
    namespace?: string,
  ): { key: string; object: JsonObject }[] | undefined {
    const later = this.history.since(rv)
    if (later === undefined) return undefined
    const state = new Map(this.list(resource).map((e) => [e.key, e.object]))
    for (let i = later.length - 1; i >= 0; i--) {
      const e = later[i]
      if (e === undefined || e.resource !== resource) continue
      if (e.prev === undefined) state.delete(e.key)
      else state.set(e.key, e.prev)
    }
    const prefix = namespace === undefined ? undefined : `${namespace}/`
    return [...state]
      .filter(([key]) => prefix === undefined || key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, object]) => ({ key, object }))
  }

  /** Takes the next revision; the caller stamps it into the object it then commits. */
  nextRevision(): number {
    this.revisionNumber += 1
    return this.revisionNumber
  }

  /**
   * Commits a write already stamped with `rv` (from nextRevision) and tells the watches. For
   * DELETED, `object` is the last state carrying the deletion's RV.
   */
  commit(resource: string, key: string, type: StoreEvent['type'], object: JsonObject): void {
    let objects = this.byResource.get(resource)
    if (objects === undefined) {
      objects = new Map()
      this.byResource.set(resource, objects)
    }
    const prev = objects.get(key)
    if (type === 'DELETED') objects.delete(key)
    else objects.set(key, object)
    const event: StoreEvent = { rv: this.revisionNumber, type, resource, key, object, prev }
    this.history.push(event)
    for (const listener of this.listeners) listener(event)
  }

  compact(): void {
    this.history.compact(this.revisionNumber)
  }
}
