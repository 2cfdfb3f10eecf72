// io.l5d.fs: one endpoints file per name in a directory (Linkerd's WatchingNamer). Lookups are
// synchronous, so the namer keeps the directory in memory: fs.watch makes edits show within
// milliseconds, and a rescan every second catches what fs.watch misses (lost events, network
// filesystems, a directory deleted and made again, a Kubernetes ConfigMap's symlink swap).
import { type FSWatcher, watch } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { bound, type Name, NameTree, Path, utf8Elem } from '@switchyard/dtab'
import { errorMessage } from '@switchyard/wire'
import { Addr, type Endpoint, WEIGHT_KEY } from './addr.js'
import { type EndpointEntry, parseEndpointsFile } from './endpoints-file.js'
import { type HostLookup, resolveHost, systemLookup } from './inet.js'
import { namerPrefix } from './prefix.js'
import type { AddrNamer } from './resolver.js'
import { updateSafely, Var } from './var.js'

/** Linkerd's limit (`500.kilobytes`): a bigger file is `failed`, not read. */
export const MAX_FILE_BYTES = 500 * 1024
export const DEFAULT_RESCAN_MS = 1000
/** Quiet time after an fs.watch event before scanning, so one save is one scan. */
export const DEFAULT_SETTLE_MS = 20

export interface FsNamerOptions {
  readonly rootDir: string
  /** Mounted at `/#/<prefix>`; a bare name or a path. Default `io.l5d.fs`. */
  readonly prefix?: string
  readonly rescanIntervalMs?: number
  readonly settleMs?: number
  /** Use fs.watch (default true); without it the periodic rescan alone finds changes. */
  readonly fsWatch?: boolean
  /** Resolves hostnames written in files; default node:dns `lookup`. */
  readonly lookupHost?: HostLookup
}

export class FsNamerError extends Error {
  override readonly name = 'FsNamerError'
}

interface FileState {
  /** Changes whenever the file (or what a symlink points to) may have changed. */
  readonly signature: string
  readonly addr: Addr
}

type Listener = (addr: Addr) => void

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

export class FsNamer implements AddrNamer {
  /** Where the namer is mounted: `/#/io.l5d.fs`. */
  readonly prefix: Path
  readonly rootDir: string
  readonly #rescanMs: number
  readonly #settleMs: number
  readonly #fsWatch: boolean
  readonly #lookupHost: HostLookup
  /** Regular files by path element (the UTF-8 bytes of the file name). */
  #files = new Map<string, FileState>()
  readonly #listeners = new Map<string, Set<Listener>>()
  #watcher: FSWatcher | undefined
  /** The inode fs.watch follows; a new one means the directory was replaced. */
  #watchedIno: number | undefined
  #timer: NodeJS.Timeout | undefined
  #settle: NodeJS.Timeout | undefined
  /** Names fs.watch reported since the last scan: re-read even if stat looks unchanged. */
  #touched = new Set<string>()
  #running: Promise<void> | undefined
  #dirty = false
  #closed = false

  private constructor(rootDir: string, options: FsNamerOptions) {
    this.rootDir = rootDir
    this.prefix = namerPrefix(options.prefix ?? 'io.l5d.fs')
    this.#rescanMs = options.rescanIntervalMs ?? DEFAULT_RESCAN_MS
    this.#settleMs = options.settleMs ?? DEFAULT_SETTLE_MS
    this.#fsWatch = options.fsWatch ?? true
    this.#lookupHost = options.lookupHost ?? systemLookup
  }

  /**
   * Starts watching `rootDir` and resolves once the first listing is in memory, so the first
   * lookup already sees every file. Rejects if `rootDir` is not a readable directory.
   */
  static async open(options: FsNamerOptions): Promise<FsNamer> {
    const rootDir = resolve(options.rootDir)
    const namer = new FsNamer(rootDir, options)
    let dir: Awaited<ReturnType<typeof stat>>
    try {
      dir = await stat(rootDir)
      if (!dir.isDirectory()) throw new Error('not a directory')
      await readdir(rootDir)
    } catch (err) {
      throw new FsNamerError(`io.l5d.fs rootDir ${rootDir}: ${errorMessage(err)}`)
    }
    namer.#watch(dir.ino) // before the first scan, so an edit during it is not lost
    namer.#poke()
    await namer.#running
    namer.#timer = setInterval(() => namer.#poke(), namer.#rescanMs)
    return namer
  }

  /** `/<file>/rest` → a leaf bound to `/#/<prefix>/<file>` with residual `/rest`, else Neg. */
  lookup(path: Path): NameTree<Name> {
    const elem = path[0]
    if (elem === undefined || !this.#files.has(elem)) return NameTree.Neg
    return NameTree.leaf(bound(Path.concat(this.prefix, [elem]), Path.drop(path, 1)))
  }

  /** The live Addr of `/<file>`: the file's endpoints; Neg while there is no such file. */
  addr(path: Path): Var<Addr> {
    const elem = path[0]
    if (elem === undefined) return Var.value<Addr>(Addr.neg)
    return Var.async<Addr>(
      this.#addrOf(elem),
      (update) => {
        const set = this.#listeners.get(elem) ?? new Set<Listener>()
        this.#listeners.set(elem, set)
        set.add(update)
        update(this.#addrOf(elem))
        return () => {
          set.delete(update)
          if (set.size === 0 && this.#listeners.get(elem) === set) this.#listeners.delete(elem)
        }
      },
      { equals: Addr.equals },
    )
  }

  /** Every name the namer knows now, as bound ids (`/#/io.l5d.fs/world`), sorted. */
  names(): Path[] {
    return [...this.#files.keys()].sort().map((elem) => Path.concat(this.prefix, [elem]))
  }

  /** Stops watching and rescanning. Lookups keep answering from the last listing. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    clearTimeout(this.#settle)
    this.#watcher?.close()
    this.#watcher = undefined
  }

  #addrOf(elem: string): Addr {
    return this.#files.get(elem)?.addr ?? Addr.neg
  }

  /** Something may have changed: scan now, or again after the scan under way. */
  #poke(): void {
    if (this.#closed) return
    this.#dirty = true
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined
      if (this.#dirty) this.#poke()
    })
  }

  async #loop(): Promise<void> {
    while (this.#dirty && !this.#closed) {
      this.#dirty = false
      try {
        await this.#scan()
      } catch {
        // A transient error (EMFILE, EACCES on the directory): the next rescan tries again.
      }
    }
  }

  #onEvent(filename: string | null): void {
    if (filename !== null) this.#touched.add(filename)
    this.#settle ??= setTimeout(() => {
      this.#settle = undefined
      this.#poke()
    }, this.#settleMs)
  }

  #watch(ino: number | undefined): void {
    this.#watcher?.close()
    this.#watcher = undefined
    this.#watchedIno = undefined
    if (ino === undefined || this.#closed || !this.#fsWatch) return
    try {
      const w = watch(this.rootDir, (_event, filename) => this.#onEvent(filename))
      // The directory went away, or the watch broke: the rescan takes over and re-watches.
      w.on('error', () => {
        w.close()
        if (this.#watcher === w) this.#watch(undefined)
      })
      this.#watcher = w
      this.#watchedIno = ino
    } catch {
      // No watch (inotify limit reached, say): the periodic rescan alone keeps us current.
    }
  }

  async #scan(): Promise<void> {
    const touched = this.#touched
    this.#touched = new Set()
    let names: string[]
    try {
      const dir = await stat(this.rootDir)
      if (!dir.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
      if (dir.ino !== this.#watchedIno && this.#fsWatch) this.#watch(dir.ino)
      names = await readdir(this.rootDir)
    } catch (err) {
      if (!isMissing(err)) throw err
      // The directory is gone: so are its names, until it comes back.
      this.#watch(undefined)
      names = []
    }
    const next = new Map<string, FileState>()
    await Promise.all(
      names.map(async (name) => {
        const state = await this.#readFile(name, touched.has(name))
        if (state !== undefined) next.set(utf8Elem(name), state)
      }),
    )
    if (!this.#closed) this.#publish(next)
  }

  /** A file's state, reusing the last one when its stat signature is unchanged. */
  async #readFile(name: string, touched: boolean): Promise<FileState | undefined> {
    const file = join(this.rootDir, name)
    let st: Awaited<ReturnType<typeof stat>>
    try {
      st = await stat(file) // follows symlinks, as Files.isRegularFile does
    } catch {
      return undefined // gone meanwhile, or a dangling symlink
    }
    if (!st.isFile()) return undefined
    const signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`
    const before = this.#files.get(utf8Elem(name))
    if (!touched && before?.signature === signature) return before
    if (st.size > MAX_FILE_BYTES) {
      return {
        signature,
        addr: Addr.failed(`${name}: file is ${st.size} bytes; the limit is ${MAX_FILE_BYTES}`),
      }
    }
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if (isMissing(err)) return undefined
      return { signature, addr: Addr.failed(`${name}: cannot read: ${errorMessage(err)}`) }
    }
    const parsed = parseEndpointsFile(text, name)
    const addr =
      parsed.type === 'error'
        ? Addr.failed(parsed.message)
        : await entriesAddr(parsed.entries, name, this.#lookupHost)
    return { signature, addr }
  }

  /** Swaps in the new listing, then tells each watcher whose Addr changed. */
  #publish(next: Map<string, FileState>): void {
    const before = this.#files
    this.#files = next
    for (const [elem, set] of this.#listeners) {
      const addr = this.#addrOf(elem)
      if (Addr.equals(before.get(elem)?.addr ?? Addr.neg, addr)) continue
      for (const update of [...set]) updateSafely(update, addr)
    }
  }
}

/** A file's entries as an Addr: hostnames resolved (each once), weights in the metadata. */
async function entriesAddr(
  entries: readonly EndpointEntry[],
  fileName: string,
  lookupHost: HostLookup,
): Promise<Addr> {
  const hosts = [...new Set(entries.map((e) => e.host))]
  const resolved = new Map<string, readonly string[] | Error>()
  await Promise.all(
    hosts.map(async (host) => {
      try {
        resolved.set(host, await resolveHost(host, lookupHost))
      } catch (err) {
        resolved.set(host, err instanceof Error ? err : new Error(String(err)))
      }
    }),
  )
  const endpoints: Endpoint[] = []
  for (const e of entries) {
    const ips = resolved.get(e.host)!
    if (ips instanceof Error) {
      return Addr.failed(`${fileName}:${e.line}: cannot resolve host "${e.host}": ${ips.message}`)
    }
    const meta = e.weight === undefined ? {} : { [WEIGHT_KEY]: e.weight }
    for (const ip of ips) endpoints.push({ ip, port: e.port, meta })
  }
  return Addr.bound(endpoints)
}
