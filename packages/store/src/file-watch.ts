// Watching a file store directory, including changes made by other processes. fs.watch (inotify
// on Linux) makes changes show up within milliseconds; a periodic re-scan is the safety net for
// what fs.watch misses (network filesystems, a full inotify table, events lost in a burst).
// One hub per store instance scans the directory while anyone watches, and stops when no one does.
import { type FSWatcher, watch as fsWatch } from 'node:fs'
import { dtabChannel, listChannel, namespacesState } from './events.js'
import { type Layout, namespaceDirs, readRecord, recordSeqs } from './file-layout.js'
import {
  CorruptEntryError,
  type DtabEvent,
  type NamespacesEvent,
  type WatchOptions,
} from './store.js'
import { storedEvent } from './stored-dtab.js'
import { counterVersion } from './version.js'
import type { WatchChannel } from './watch-channel.js'

interface Known {
  /** The highest record number seen. */
  readonly seq: number
  /** The state that record gives. */
  readonly event: DtabEvent
}

type Fresh =
  | {
      readonly type: 'namespace'
      readonly namespace: string
      readonly channel: WatchChannel<DtabEvent>
    }
  | { readonly type: 'list'; readonly channel: WatchChannel<NamespacesEvent> }

function present(event: DtabEvent): boolean {
  return event.type === 'dtab' || event.type === 'corrupt'
}

/** The state record `seq` gives, or null if it has gone (pruned, or the directory removed). */
export async function recordEvent(
  layout: Layout,
  namespace: string,
  seq: number,
): Promise<DtabEvent | null> {
  const read = await readRecord(layout, namespace, seq)
  const location = layout.recordPath(namespace, seq)
  const version = counterVersion(seq)
  switch (read.type) {
    case 'missing':
      return null
    case 'bad':
      return {
        type: 'corrupt',
        namespace,
        error: new CorruptEntryError(namespace, location, read.detail, version, read.cause),
      }
    case 'ok':
      return read.record.dtab === null
        ? { type: 'deleted', namespace }
        : storedEvent(namespace, read.record.dtab, location, version)
  }
}

export class FileWatchHub {
  private readonly known = new Map<string, Known>()
  private readonly watchers = new Map<string, Set<WatchChannel<DtabEvent>>>()
  private readonly listWatchers = new Set<WatchChannel<NamespacesEvent>>()
  private fresh: Fresh[] = []
  private readonly fsWatchers = new Map<string, FSWatcher>()
  private fsWatchFailed = false
  private timer: NodeJS.Timeout | null = null
  private scheduled: NodeJS.Immediate | null = null
  private running: Promise<void> | null = null
  private dirty = false
  private primed = false
  /** Bumped on stop, so a scan still running from before is ignored. */
  private generation = 0

  constructor(
    private readonly layout: Layout,
    private readonly pollIntervalMs: number,
  ) {}

  watch(namespace: string, options: WatchOptions): WatchChannel<DtabEvent> {
    const channel: WatchChannel<DtabEvent> = dtabChannel(options, () => {
      this.fresh = this.fresh.filter((f) => f.channel !== channel)
      const set = this.watchers.get(namespace)
      set?.delete(channel)
      if (set?.size === 0) this.watchers.delete(namespace)
      this.maybeStop()
    })
    this.subscribe({ type: 'namespace', namespace, channel })
    return channel
  }

  watchList(options: WatchOptions): WatchChannel<NamespacesEvent> {
    const channel: WatchChannel<NamespacesEvent> = listChannel(options, () => {
      this.fresh = this.fresh.filter((f) => f.channel !== channel)
      this.listWatchers.delete(channel)
      this.maybeStop()
    })
    this.subscribe({ type: 'list', channel })
    return channel
  }

  /** Something may have changed: scan soon (coalesced with any scan already due). */
  poke(): void {
    if (!this.active()) return
    this.dirty = true
    if (this.running || this.scheduled) return
    this.scheduled = setImmediate(() => {
      this.scheduled = null
      this.running = this.loop().finally(() => {
        this.running = null
        if (this.dirty && this.active()) this.poke()
      })
    })
  }

  /** Ends every watch. */
  close(): void {
    for (const f of this.fresh) f.channel.end()
    for (const set of [...this.watchers.values()]) for (const c of [...set]) c.end()
    for (const c of [...this.listWatchers]) c.end()
    this.stop()
  }

  private active(): boolean {
    return this.fresh.length > 0 || this.watchers.size > 0 || this.listWatchers.size > 0
  }

  private subscribe(fresh: Fresh): void {
    const starting = !this.active()
    this.fresh.push(fresh)
    if (starting) this.start()
    this.poke()
  }

  private start(): void {
    this.primed = false
    this.known.clear()
    this.fsWatchFailed = false
    this.watchDir('', this.layout.dtabs)
    this.timer = setInterval(() => this.poke(), this.pollIntervalMs)
  }

  private maybeStop(): void {
    if (!this.active()) this.stop()
  }

  private stop(): void {
    this.generation++
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (this.scheduled) clearImmediate(this.scheduled)
    this.scheduled = null
    for (const w of this.fsWatchers.values()) w.close()
    this.fsWatchers.clear()
    this.known.clear()
    this.primed = false
    this.dirty = false
  }

  private watchDir(key: string, dir: string): void {
    if (this.fsWatchFailed || this.fsWatchers.has(key)) return
    try {
      const w = fsWatch(dir, { persistent: true }, () => this.poke())
      // A failed watch (directory removed, inotify limit) leaves the periodic scan in charge.
      w.on('error', () => {
        w.close()
        if (this.fsWatchers.get(key) === w) this.fsWatchers.delete(key)
      })
      this.fsWatchers.set(key, w)
    } catch {
      this.fsWatchFailed = true
    }
  }

  private async loop(): Promise<void> {
    while (this.dirty && this.active()) {
      this.dirty = false
      try {
        await this.scan(this.generation)
      } catch {
        // A transient filesystem error: the next poke or tick scans again.
      }
    }
  }

  private async scan(generation: number): Promise<void> {
    const stale = () => generation !== this.generation
    const dirs = new Set(await namespaceDirs(this.layout))
    if (stale()) return
    for (const [key, w] of this.fsWatchers) {
      if (key !== '' && !dirs.has(key)) {
        w.close()
        this.fsWatchers.delete(key)
      }
    }
    let listChanged = false
    for (const namespace of new Set([...dirs, ...this.known.keys()])) {
      // Watch the directory before listing it, so a record linked meanwhile still pokes.
      if (dirs.has(namespace)) this.watchDir(namespace, this.layout.namespaceDir(namespace))
      const seqs = dirs.has(namespace) ? await recordSeqs(this.layout, namespace) : []
      if (stale()) return
      const newest = seqs.at(-1) ?? 0
      const before = this.known.get(namespace)
      const beforeSeq = before?.seq ?? 0
      if (newest === beforeSeq) continue

      const channels = this.primed ? this.watchers.get(namespace) : undefined
      let now: Known | undefined = before
      if (newest > beforeSeq) {
        // Replay every retained record since the last scan, in order, for the namespace's
        // watchers; with no watchers only the newest matters.
        const replay = channels?.size ? seqs.filter((s) => s > beforeSeq) : [newest]
        for (const seq of replay) {
          const event = await recordEvent(this.layout, namespace, seq)
          if (stale()) return
          if (!event) continue
          now = { seq, event }
          for (const c of channels ?? []) c.push(event)
        }
      } else {
        // Records vanished (the directory was removed by hand): report what is there now.
        const event = newest ? await recordEvent(this.layout, namespace, newest) : null
        if (stale()) return
        now = { seq: newest, event: event ?? { type: 'deleted', namespace } }
        for (const c of channels ?? []) c.push(now.event)
      }
      if (!now) continue
      if (now.seq === 0) this.known.delete(namespace)
      else this.known.set(namespace, now)
      if ((before ? present(before.event) : false) !== present(now.event)) listChanged = true
    }

    const names = [...this.known].filter(([, k]) => present(k.event)).map(([ns]) => ns)
    if (this.primed && listChanged) {
      const state = namespacesState(names)
      for (const c of this.listWatchers) c.push(state)
    }
    // Newcomers start from the state this scan established; later scans bring them changes.
    const fresh = this.fresh
    this.fresh = []
    for (const f of fresh) {
      if (f.channel.closed) continue
      if (f.type === 'list') {
        f.channel.push(namespacesState(names))
        this.listWatchers.add(f.channel)
      } else {
        f.channel.push(
          this.known.get(f.namespace)?.event ?? { type: 'absent', namespace: f.namespace },
        )
        let set = this.watchers.get(f.namespace)
        if (!set) {
          set = new Set()
          this.watchers.set(f.namespace, set)
        }
        set.add(f.channel)
      }
    }
    this.primed = true
  }
}
