// History on the Kubernetes store, kept in the cluster: one DTabHistory object
// (switchyard.io/v1alpha1, deploy/crd/dtabhistories.switchyard.io.yaml) per dtab namespace,
// named after it, holding `entries`, newest first. It never touches the DTab objects, so
// namerd's shape stays as it is, and it outlives a deleted namespace.
//
// An entry is appended after the DTab write it records, by compare-and-swap on the history
// object's resourceVersion, so concurrent writers (other replicas too) lose no entry. Appends
// can land out of the order of the writes; insert() puts each in its place.
//
// Bounded by count (historyLimit) and by bytes (historyMaxBytes, far under the ~1.5 MB object
// limit of etcd): the oldest entries go first, the newest always stays.
import { apiVersion, isKubeError, KubeError, KubeObject, type ObjectClient } from '@switchyard/kube'
import { z } from 'zod'
import { DTAB_HISTORIES } from './k8s-objects.js'
import type { HistoryEntry } from './store.js'

/** Default byte budget of one history object's entries (JSON), a third of the object limit. */
export const DEFAULT_HISTORY_MAX_BYTES = 512 * 1024

/** Appends that lose the compare-and-swap this many times in a row give up. */
const MAX_APPEND_ATTEMPTS = 200

/** One entry as stored; versions are resourceVersion strings. */
const StoredEntry = z.object({
  op: z.enum(['create', 'put', 'update', 'delete']),
  version: z.string().min(1),
  previous: z.string().min(1).nullable(),
  time: z.iso.datetime(),
  who: z.string().nullable(),
  /** Why the write was made (WriteOptions.why); absent in entries from before it existed. */
  why: z.string().nullable().optional(),
  dtab: z.string().nullable(),
  /**
   * A state written outside Switchyard (by namerd, kubectl), recorded when Switchyard first
   * wrote over it, so it can be restored. Replaced by the real entry if one lands after all.
   */
  observed: z.literal(true).optional(),
})
type StoredEntry = z.infer<typeof StoredEntry>

const HistoryObject = KubeObject.extend({
  entries: z.array(z.unknown()).nullish(),
})
type HistoryObject = z.infer<typeof HistoryObject>

/** What a write records; `version: null` for a delete (it gets the history object's RV). */
export type NewEntry = Omit<StoredEntry, 'version' | 'time' | 'observed'> & {
  readonly version: string | null
  /** The dtab text of the state the write replaced, when it could be read. */
  readonly replaced: string | null
}

export interface K8sHistoryOptions {
  readonly client: ObjectClient
  readonly k8sNamespace: string
  readonly limit: number
  readonly maxBytes: number
}

export class K8sHistory {
  constructor(private readonly o: K8sHistoryOptions) {}

  /**
   * Records a change. A delete's version is the resourceVersion of the history object as this
   * append read it: the version of a history write, which no dtab ever has.
   */
  async append(namespace: string, entry: NewEntry): Promise<void> {
    const time = new Date().toISOString()
    let object: HistoryObject | null = await this.read(namespace)
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      if (object === null) {
        object = await this.createEmpty(namespace)
        if (object === null) {
          object = await this.read(namespace)
          continue
        }
      }
      const { replaced, ...fields } = entry
      const stored: StoredEntry = {
        ...fields,
        version: entry.version ?? object.metadata.resourceVersion,
        time,
      }
      let entries = entriesOf(object)
      if (entry.previous !== null && replaced !== null) {
        entries = insert(entries, {
          op: 'put',
          version: entry.previous,
          previous: null,
          time,
          who: null,
          dtab: replaced,
          observed: true,
        })
      }
      entries = bound(insert(entries, stored), this.o.limit, this.o.maxBytes)
      try {
        await this.o.client.replace(this.o.k8sNamespace, namespace, {
          ...object,
          apiVersion: apiVersion(DTAB_HISTORIES),
          kind: DTAB_HISTORIES.kind,
          metadata: { ...object.metadata, resourceVersion: object.metadata.resourceVersion },
          entries,
        })
        return
      } catch (err) {
        if (!isKubeError(err) || (err.code !== 'conflict' && err.code !== 'not_found')) throw err
        object = await this.read(namespace)
      }
    }
    throw new KubeError(
      'conflict',
      `the history of ${JSON.stringify(namespace)} changed under us ${MAX_APPEND_ATTEMPTS} times in a row; the entry was not recorded`,
      { server: null },
    )
  }

  /** Past changes, newest first. */
  async list(namespace: string, limit: number): Promise<HistoryEntry[]> {
    if (limit <= 0) return []
    const object = await this.read(namespace)
    if (object === null) return []
    return entriesOf(object).slice(0, limit).map(toHistoryEntry)
  }

  private async read(namespace: string): Promise<HistoryObject | null> {
    try {
      return parseObject(await this.o.client.get(this.o.k8sNamespace, namespace))
    } catch (err) {
      if (isKubeError(err) && err.code === 'not_found') return null
      throw err
    }
  }

  /** Creates the object with no entries; null if another writer created it first. */
  private async createEmpty(namespace: string): Promise<HistoryObject | null> {
    try {
      const created = await this.o.client.create(this.o.k8sNamespace, {
        apiVersion: apiVersion(DTAB_HISTORIES),
        kind: DTAB_HISTORIES.kind,
        metadata: { name: namespace, namespace: this.o.k8sNamespace },
        entries: [],
      })
      return parseObject(created)
    } catch (err) {
      if (isKubeError(err) && err.code === 'already_exists') return null
      throw err
    }
  }
}

function parseObject(raw: unknown): HistoryObject {
  const parsed = HistoryObject.safeParse(raw)
  if (!parsed.success) {
    throw new KubeError(
      'unexpected',
      `a DTabHistory object cannot be read: ${z.prettifyError(parsed.error).slice(0, 300)}`,
      { server: null },
    )
  }
  return parsed.data
}

/** The entries that parse; history is a record, so an unreadable entry is left out. */
function entriesOf(object: HistoryObject): StoredEntry[] {
  const out: StoredEntry[] = []
  for (const raw of object.entries ?? []) {
    const e = StoredEntry.safeParse(raw)
    if (e.success && (e.data.op === 'delete') === (e.data.dtab === null)) out.push(e.data)
  }
  return out
}

/**
 * Places an entry, newest first. resourceVersions are etcd revisions on every API server in
 * use, decimal and increasing: then entries are ordered by them, which is the order of the
 * writes (orderKey places deletes). Were they opaque, an entry goes by the chain of versions
 * instead: just above the entry it replaced, else just below the one that replaced it, else
 * on top; right whenever appends land in the order of the writes.
 */
export function insert(entries: readonly StoredEntry[], entry: StoredEntry): StoredEntry[] {
  const same = entries.find((e) => e.version === entry.version)
  // A retried append whose first try did land, or a state already recorded.
  if (same && (entry.observed || !same.observed)) return [...entries]
  // The real entry of a state recorded as observed takes its place.
  if (same) entries = entries.filter((e) => e !== same)
  const all = [...entries, entry]
  if (all.every(decimal)) {
    return all.sort((a, b) => {
      const x = orderKey(a)
      const y = orderKey(b)
      return x > y ? -1 : x < y ? 1 : 0
    })
  }
  if (entry.previous !== null) {
    const i = entries.findIndex((e) => e.version === entry.previous)
    if (i >= 0) return [...entries.slice(0, i), entry, ...entries.slice(i)]
  }
  const j = entries.findIndex((e) => e.previous === entry.version)
  if (j >= 0) return [...entries.slice(0, j + 1), entry, ...entries.slice(j + 1)]
  return [entry, ...entries]
}

const DECIMAL = /^[0-9]{1,30}$/

function decimal(e: StoredEntry): boolean {
  return DECIMAL.test(e.version) && (e.previous === null || DECIMAL.test(e.previous))
}

/**
 * Where an entry sorts: a write at its resourceVersion; a delete just above the state it
 * deleted. A delete's version is the history object's resourceVersion as its append read it
 * (the deletion's own is not in the API server's answer), which says nothing of when the
 * delete happened: appends race, so it can be below the write it deleted (that write's entry
 * not landed yet) or above a create that came after it. The delete was conditional on the
 * state it deleted, so nothing came between the two.
 */
function orderKey(e: StoredEntry): bigint {
  return e.op === 'delete' && e.previous !== null
    ? BigInt(e.previous) * 2n + 1n
    : BigInt(e.version) * 2n
}

/** The newest entries within `limit` and `maxBytes` of JSON; the newest one always stays. */
export function bound(entries: StoredEntry[], limit: number, maxBytes: number): StoredEntry[] {
  const kept = entries.slice(0, Math.max(1, limit))
  let bytes = 2 // []
  for (let i = 0; i < kept.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(kept[i])) + 1
    if (bytes > maxBytes && i > 0) return kept.slice(0, i)
  }
  return kept
}

const encoder = new TextEncoder()

function toHistoryEntry(e: StoredEntry): HistoryEntry {
  const common = {
    version: encoder.encode(e.version),
    previous: e.previous === null ? null : encoder.encode(e.previous),
    time: new Date(e.time),
    who: e.who,
    why: e.why ?? null,
  }
  return e.op === 'delete'
    ? { ...common, op: 'delete', dtab: null }
    : { ...common, op: e.op, dtab: e.dtab ?? '' }
}
