// The memory store: for tests and throwaway use; nothing survives the process. Versions are
// namerd inMemory's 8-byte big-endian counter, starting at 1 per namespace. Unlike namerd, a
// deleted namespace keeps its counter, so re-creating it never reuses a version a client may
// still hold (namerd restarts at 1, which lets a stale If-Match succeed).
import { Dtab } from '@switchyard/dtab'
import { dtabChannel, listChannel, namespacesState } from './events.js'
import { checkNamespace } from './namespace.js'
import { MemoryLeases, MemoryRollouts } from './rollouts-memory.js'
import {
  DEFAULT_HISTORY_LIMIT,
  type DeleteOptions,
  type DtabEvent,
  type DtabStore,
  type HistoryEntry,
  type HistoryOptions,
  NamespaceExistsError,
  NamespaceNotFoundError,
  type NamespacesEvent,
  StoreClosedError,
  type VersionedDtab,
  VersionMismatchError,
  type WatchOptions,
  type WriteOptions,
} from './store.js'
import { readStoredDtab, showDtab, storedEvent } from './stored-dtab.js'
import { counterVersion, versionCounter } from './version.js'
import type { WatchChannel } from './watch-channel.js'

export interface MemoryStoreOptions {
  /** Namespaces to start with, at version 1 (namerd inMemory's `namespaces`); text is parsed. */
  readonly namespaces?: Readonly<Record<string, Dtab | string>>
  /** History entries kept per namespace. Default 100. */
  readonly historyLimit?: number
}

type Op = HistoryEntry['op']

interface Change {
  readonly op: Op
  readonly seq: number
  readonly previous: number | null
  readonly time: Date
  readonly who: string | null
  readonly why: string | null
  /** `Dtab.show` text; null for a delete. */
  readonly text: string | null
}

interface Slot {
  /** The last counter value used; survives deletes. */
  counter: number
  /** The change that made the current state, or null if the namespace does not exist. */
  current: Change | null
  history: Change[]
}

export function openMemoryStore(options: MemoryStoreOptions = {}): DtabStore {
  return new MemoryStore(options)
}

class MemoryStore implements DtabStore {
  readonly kind = 'memory'
  private readonly slots = new Map<string, Slot>()
  private readonly watchers = new Map<string, Set<WatchChannel<DtabEvent>>>()
  private readonly listWatchers = new Set<WatchChannel<NamespacesEvent>>()
  private readonly historyLimit: number
  private closed = false
  readonly rollouts = new MemoryRollouts(() => this.closed)
  readonly leases = new MemoryLeases(() => this.closed)

  constructor(options: MemoryStoreOptions) {
    this.historyLimit = Math.max(1, options.historyLimit ?? DEFAULT_HISTORY_LIMIT)
    for (const [ns, dtab] of Object.entries(options.namespaces ?? {})) {
      checkNamespace(ns)
      this.commit(ns, 'create', showDtab(typeof dtab === 'string' ? Dtab.read(dtab) : dtab), {})
    }
  }

  async list(): Promise<string[]> {
    this.open()
    return this.present()
  }

  async get(namespace: string): Promise<VersionedDtab | null> {
    this.open()
    const current = this.slots.get(checkNamespace(namespace))?.current
    if (!current || current.text === null) return null
    const version = counterVersion(current.seq)
    const dtab = readStoredDtab(namespace, current.text, `memory:${namespace}`, version)
    return { namespace, dtab, version }
  }

  async create(namespace: string, dtab: Dtab, options: WriteOptions = {}): Promise<Uint8Array> {
    this.open()
    if (this.slots.get(checkNamespace(namespace))?.current) {
      throw new NamespaceExistsError(namespace)
    }
    return this.commit(namespace, 'create', showDtab(dtab), options)
  }

  async put(namespace: string, dtab: Dtab, options: WriteOptions = {}): Promise<Uint8Array> {
    this.open()
    return this.commit(checkNamespace(namespace), 'put', showDtab(dtab), options)
  }

  async update(
    namespace: string,
    dtab: Dtab,
    version: Uint8Array,
    options: WriteOptions = {},
  ): Promise<Uint8Array> {
    this.open()
    this.expect(checkNamespace(namespace), version)
    return this.commit(namespace, 'update', showDtab(dtab), options)
  }

  async delete(namespace: string, options: DeleteOptions = {}): Promise<void> {
    this.open()
    checkNamespace(namespace)
    if (options.version) this.expect(namespace, options.version)
    else if (!this.slots.get(namespace)?.current) throw new NamespaceNotFoundError(namespace)
    this.commit(namespace, 'delete', null, options)
  }

  watch(namespace: string, options: WatchOptions = {}): AsyncIterableIterator<DtabEvent> {
    this.open()
    checkNamespace(namespace)
    let set = this.watchers.get(namespace)
    if (!set) {
      set = new Set()
      this.watchers.set(namespace, set)
    }
    const watchers = set
    const channel = dtabChannel(options, () => {
      watchers.delete(channel)
      if (watchers.size === 0 && this.watchers.get(namespace) === watchers) {
        this.watchers.delete(namespace)
      }
    })
    watchers.add(channel)
    channel.push(this.stateEvent(namespace, this.slots.get(namespace)?.current ?? null))
    return channel
  }

  watchList(options: WatchOptions = {}): AsyncIterableIterator<NamespacesEvent> {
    this.open()
    const channel = listChannel(options, () => this.listWatchers.delete(channel))
    this.listWatchers.add(channel)
    channel.push(namespacesState(this.present()))
    return channel
  }

  async history(namespace: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    this.open()
    const newestFirst = [...(this.slots.get(checkNamespace(namespace))?.history ?? [])].reverse()
    return newestFirst.slice(0, options.limit ?? newestFirst.length).map(toEntry)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const set of [...this.watchers.values()]) for (const w of [...set]) w.end()
    for (const w of [...this.listWatchers]) w.end()
    this.rollouts.end()
  }

  private open(): void {
    if (this.closed) throw new StoreClosedError()
  }

  private present(): string[] {
    const names: string[] = []
    for (const [ns, slot] of this.slots) if (slot.current) names.push(ns)
    return names.sort()
  }

  /** Throws unless the namespace exists at `version`. */
  private expect(namespace: string, version: Uint8Array): void {
    const current = this.slots.get(namespace)?.current
    if (!current) throw new NamespaceNotFoundError(namespace)
    if (versionCounter(version) !== current.seq) {
      throw new VersionMismatchError(namespace, version, counterVersion(current.seq))
    }
  }

  private commit(
    namespace: string,
    op: Op,
    text: string | null,
    options: WriteOptions,
  ): Uint8Array {
    let slot = this.slots.get(namespace)
    if (!slot) {
      slot = { counter: 0, current: null, history: [] }
      this.slots.set(namespace, slot)
    }
    const existed = slot.current !== null
    const change: Change = {
      op,
      seq: ++slot.counter,
      previous: slot.current?.seq ?? null,
      time: new Date(),
      who: options.who ?? null,
      why: options.why ?? null,
      text,
    }
    slot.current = text === null ? null : change
    slot.history.push(change)
    if (slot.history.length > this.historyLimit)
      slot.history.splice(0, slot.history.length - this.historyLimit)

    for (const w of this.watchers.get(namespace) ?? [])
      w.push(this.stateEvent(namespace, slot.current))
    if (existed !== (slot.current !== null)) {
      const state = namespacesState(this.present())
      for (const w of this.listWatchers) w.push(state)
    }
    return counterVersion(change.seq)
  }

  private stateEvent(namespace: string, current: Change | null): DtabEvent {
    if (!current || current.text === null) return { type: 'deleted', namespace }
    return storedEvent(namespace, current.text, `memory:${namespace}`, counterVersion(current.seq))
  }
}

function toEntry(change: Change): HistoryEntry {
  const common = {
    version: counterVersion(change.seq),
    previous: change.previous === null ? null : counterVersion(change.previous),
    time: change.time,
    who: change.who,
    why: change.why,
  }
  return change.op === 'delete' || change.text === null
    ? { ...common, op: 'delete', dtab: null }
    : { ...common, op: change.op, dtab: change.text }
}
