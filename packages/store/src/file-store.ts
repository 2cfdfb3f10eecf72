// The file store: the embedded default. A directory on disk (layout and write protocol in
// file-layout.ts), shared safely by several processes: writes are atomic and durable,
// compare-and-swap holds across processes (link(2)), and every instance's watches see every
// instance's changes (file-watch.ts).
import { resolve } from 'node:path'
import type { Dtab } from '@switchyard/dtab'
import {
  cleanTemp,
  ensureLayout,
  type FileRecord,
  Layout,
  linkRecord,
  namespaceDirs,
  pruneRecords,
  RECORD_FORMAT,
  readRecord,
  recordSeqs,
} from './file-layout.js'
import { FileWatchHub } from './file-watch.js'
import { checkNamespace } from './namespace.js'
import { FileLeases, FileRollouts } from './rollouts-file.js'
import {
  CorruptEntryError,
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
  StoreError,
  StoreUnavailableError,
  type VersionedDtab,
  VersionMismatchError,
  type WatchOptions,
  type WriteOptions,
} from './store.js'
import { readStoredDtab, showDtab } from './stored-dtab.js'
import { counterVersion, versionCounter } from './version.js'

export interface FileStoreOptions {
  /** Records (history entries) kept per namespace. Default 100. */
  readonly historyLimit?: number
  /**
   * How often watches re-scan the directory, as a safety net for fs.watch. Default 1000 ms.
   * Rollout watches poll at this interval (and at once after this instance writes).
   */
  readonly pollIntervalMs?: number
}

/** Opens (creating if needed) a file store in `dir`. */
export async function openFileStore(
  dir: string,
  options: FileStoreOptions = {},
): Promise<DtabStore> {
  const layout = new Layout(resolve(dir))
  try {
    await ensureLayout(layout)
    await cleanTemp(layout)
  } catch (err) {
    throw unavailable(layout, err)
  }
  return new FileStore(layout, options)
}

/** A namespace's state: its newest record, read. `seq` is 0 if it never had one. */
type Head =
  | { readonly type: 'absent'; readonly seq: number }
  | { readonly type: 'present'; readonly seq: number; readonly record: FileRecord }
  | { readonly type: 'corrupt'; readonly seq: number; readonly error: CorruptEntryError }

/** What a write decides, given the head it read; it throws to refuse. */
type Decision = Pick<FileRecord, 'op' | 'previous' | 'dtab'>

const MAX_ATTEMPTS = 1000

function unavailable(layout: Layout, err: unknown): StoreUnavailableError {
  const detail = err instanceof Error ? err.message : String(err)
  return new StoreUnavailableError(`file store at ${layout.root}: ${detail}`, err)
}

class FileStore implements DtabStore {
  readonly kind = 'file'
  private readonly hub: FileWatchHub
  private readonly historyLimit: number
  /** Per-namespace queue: writes from this process take turns instead of racing on link. */
  private readonly turns = new Map<string, Promise<unknown>>()
  private closed = false
  readonly rollouts: FileRollouts
  readonly leases: FileLeases

  constructor(
    private readonly layout: Layout,
    options: FileStoreOptions,
  ) {
    this.historyLimit = Math.max(1, options.historyLimit ?? DEFAULT_HISTORY_LIMIT)
    const pollIntervalMs = Math.max(10, options.pollIntervalMs ?? 1000)
    this.hub = new FileWatchHub(layout, pollIntervalMs)
    const paths = { root: layout.root, tmp: layout.tmp }
    this.rollouts = new FileRollouts(paths, () => this.closed, pollIntervalMs)
    this.leases = new FileLeases(paths, () => this.closed)
  }

  async list(): Promise<string[]> {
    return this.guard(async () => {
      const names = await namespaceDirs(this.layout)
      const heads = await Promise.all(names.map((ns) => this.head(ns)))
      return names.filter((_, i) => heads[i]!.type !== 'absent').sort()
    })
  }

  async get(namespace: string): Promise<VersionedDtab | null> {
    checkNamespace(namespace)
    return this.guard(async () => {
      const head = await this.head(namespace)
      if (head.type === 'absent') return null
      if (head.type === 'corrupt') throw head.error
      const version = counterVersion(head.seq)
      const location = this.layout.recordPath(namespace, head.seq)
      const dtab = readStoredDtab(namespace, head.record.dtab ?? '', location, version)
      return { namespace, dtab, version }
    })
  }

  async create(namespace: string, dtab: Dtab, options: WriteOptions = {}): Promise<Uint8Array> {
    const text = showDtab(dtab)
    return this.write(checkNamespace(namespace), options, (head) => {
      if (head.type !== 'absent') throw new NamespaceExistsError(namespace)
      return { op: 'create', previous: null, dtab: text }
    })
  }

  async put(namespace: string, dtab: Dtab, options: WriteOptions = {}): Promise<Uint8Array> {
    const text = showDtab(dtab)
    return this.write(checkNamespace(namespace), options, (head) => ({
      op: 'put',
      previous: head.type === 'absent' ? null : head.seq,
      dtab: text,
    }))
  }

  async update(
    namespace: string,
    dtab: Dtab,
    version: Uint8Array,
    options: WriteOptions = {},
  ): Promise<Uint8Array> {
    const text = showDtab(dtab)
    return this.write(checkNamespace(namespace), options, (head) => {
      this.expect(namespace, head, version)
      return { op: 'update', previous: head.seq, dtab: text }
    })
  }

  async delete(namespace: string, options: DeleteOptions = {}): Promise<void> {
    await this.write(checkNamespace(namespace), options, (head) => {
      if (head.type === 'absent') throw new NamespaceNotFoundError(namespace)
      if (options.version) this.expect(namespace, head, options.version)
      return { op: 'delete', previous: head.seq, dtab: null }
    })
  }

  watch(namespace: string, options: WatchOptions = {}): AsyncIterableIterator<DtabEvent> {
    this.open()
    return this.hub.watch(checkNamespace(namespace), options)
  }

  watchList(options: WatchOptions = {}): AsyncIterableIterator<NamespacesEvent> {
    this.open()
    return this.hub.watchList(options)
  }

  async history(namespace: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    checkNamespace(namespace)
    return this.guard(async () => {
      const seqs = (await recordSeqs(this.layout, namespace)).reverse()
      const limit = options.limit ?? seqs.length
      const entries: HistoryEntry[] = []
      for (const seq of seqs) {
        if (entries.length >= limit) break
        const read = await readRecord(this.layout, namespace, seq)
        // History is a record of what happened; an unreadable old record is left out.
        if (read.type === 'ok') entries.push(toEntry(read.record))
      }
      return entries
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.hub.close()
    this.rollouts.close()
    await Promise.allSettled([...this.turns.values()])
  }

  private open(): void {
    if (this.closed) throw new StoreClosedError()
  }

  /** Runs an operation, reporting filesystem failures as StoreUnavailableError. */
  private async guard<T>(run: () => Promise<T>): Promise<T> {
    this.open()
    try {
      return await run()
    } catch (err) {
      if (err instanceof StoreError) throw err
      throw unavailable(this.layout, err)
    }
  }

  private expect(namespace: string, head: Head, version: Uint8Array): void {
    if (head.type === 'absent') throw new NamespaceNotFoundError(namespace)
    if (versionCounter(version) !== head.seq) {
      throw new VersionMismatchError(namespace, version, counterVersion(head.seq))
    }
  }

  private async head(namespace: string): Promise<Head> {
    // The newest record can vanish between listing and reading only if the directory is
    // removed by hand; look again a few times before calling it absent.
    for (let attempt = 0; attempt < 5; attempt++) {
      const seq = (await recordSeqs(this.layout, namespace)).at(-1)
      if (seq === undefined) return { type: 'absent', seq: 0 }
      const read = await readRecord(this.layout, namespace, seq)
      switch (read.type) {
        case 'missing':
          continue
        case 'bad': {
          const location = this.layout.recordPath(namespace, seq)
          const version = counterVersion(seq)
          const error = new CorruptEntryError(namespace, location, read.detail, version, read.cause)
          return { type: 'corrupt', seq, error }
        }
        case 'ok':
          return read.record.op === 'delete'
            ? { type: 'absent', seq }
            : { type: 'present', seq, record: read.record }
      }
    }
    // Calling it absent would let the next write reuse a number: refuse instead.
    throw new StoreUnavailableError(
      `file store at ${this.layout.root}: the newest record of ${JSON.stringify(namespace)} keeps vanishing; is something else deleting files there?`,
    )
  }

  /**
   * Reads the head, lets `decide` refuse or describe the change, and links it as the next
   * record. If another process linked that number first, reads again and decides again: an
   * update then sees the new version and is refused; a put simply goes on top.
   */
  private write(
    namespace: string,
    options: WriteOptions,
    decide: (head: Head) => Decision,
  ): Promise<Uint8Array> {
    const run = () =>
      this.guard(async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const head = await this.head(namespace)
          const record: FileRecord = {
            format: RECORD_FORMAT,
            namespace,
            seq: head.seq + 1,
            ...decide(head),
            time: new Date().toISOString(),
            who: options.who ?? null,
            why: options.why ?? null,
          }
          if (await linkRecord(this.layout, record)) {
            await pruneRecords(this.layout, namespace, record.seq, this.historyLimit).catch(
              () => {},
            )
            this.hub.poke()
            return counterVersion(record.seq)
          }
        }
        throw new StoreUnavailableError(
          `file store at ${this.layout.root}: namespace ${JSON.stringify(namespace)} changed on every one of ${MAX_ATTEMPTS} attempts`,
        )
      })
    const previous = this.turns.get(namespace) ?? Promise.resolve()
    const result = previous.then(run, run)
    const settled = result.then(
      () => {},
      () => {},
    )
    this.turns.set(namespace, settled)
    void settled.then(() => {
      if (this.turns.get(namespace) === settled) this.turns.delete(namespace)
    })
    return result
  }
}

function toEntry(record: FileRecord): HistoryEntry {
  const common = {
    version: counterVersion(record.seq),
    previous: record.previous === null ? null : counterVersion(record.previous),
    time: new Date(record.time),
    who: record.who,
    why: record.why ?? null,
  }
  return record.op === 'delete' || record.dtab === null
    ? { ...common, op: 'delete', dtab: null }
    : { ...common, op: record.op, dtab: record.dtab }
}
