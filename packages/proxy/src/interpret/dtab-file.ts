// A dtab kept in a file (Linkerd's io.l5d.fs interpreter, key `dtabFile`), watched: fs.watch on
// the directory (editors and ConfigMaps replace files by rename) plus a periodic stat, which
// catches what fs.watch misses. A change is read only once the file has been quiet for settleMs,
// and read again if it changed while being read: a save in place truncates before it writes, and
// the empty file between the two is a valid dtab that would route nothing. A new content that
// does not parse is refused and reported; the last good dtab stays.
import { type FSWatcher, watch } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { Dtab, DtabParseError, renderParseError } from '@switchyard/dtab'
import { DEFAULT_SETTLE_MS } from '@switchyard/namers'
import { errorMessage } from '@switchyard/wire'

export type DtabFileEvent =
  | { readonly type: 'dtab'; readonly dtab: Dtab; readonly text: string }
  | { readonly type: 'error'; readonly message: string }

export interface DtabFileOptions {
  /** How often the file is stat'ed besides fs.watch; default 1000 ms. */
  readonly pollMs?: number
  /** Quiet time after a change before the file is read; default as the fs namer's (20 ms). */
  readonly settleMs?: number
}

const signatureOf = async (file: string): Promise<string> => {
  const st = await stat(file)
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`
}

export class DtabFileWatcher {
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined
  #settle: NodeJS.Timeout | undefined
  readonly #settleMs: number
  #signature: string | undefined
  #running: Promise<void> | undefined
  #again = false
  #closed = false

  constructor(
    readonly file: string,
    private readonly onEvent: (event: DtabFileEvent) => void,
    options: DtabFileOptions = {},
  ) {
    this.#settleMs = options.settleMs ?? DEFAULT_SETTLE_MS
    try {
      const name = basename(file)
      this.#watcher = watch(dirname(file), (_e, f) => {
        if (f === null || f === name) this.#later(true)
      })
      this.#watcher.on('error', () => {
        this.#watcher?.close()
        this.#watcher = undefined // the poll carries on alone
      })
    } catch {
      // No watch (the directory is missing, or inotify is exhausted): the poll alone.
    }
    this.#timer = setInterval(() => this.check(false), options.pollMs ?? 1000)
    this.#timer.unref()
  }

  /**
   * Reads the file now (force), or, when its stat changed, once it has settled. Resolves when
   * this check is done (a settled read may still follow).
   */
  check(force: boolean): Promise<void> {
    if (this.#closed) return Promise.resolve()
    if (this.#running !== undefined) {
      this.#again ||= force
      return this.#running
    }
    this.#running = this.#read(force).finally(() => {
      this.#running = undefined
      if (this.#again) {
        this.#again = false
        void this.check(true)
      }
    })
    return this.#running
  }

  close(): void {
    this.#closed = true
    this.#watcher?.close()
    clearInterval(this.#timer)
    clearTimeout(this.#settle)
  }

  /**
   * A forced read settleMs from now. An fs.watch event pushes a pending read back (a save is
   * quiet once events stop); the poll does not, as it sees the same change on every tick.
   */
  #later(pushBack = false): void {
    if (this.#closed || (this.#settle !== undefined && !pushBack)) return
    clearTimeout(this.#settle)
    this.#settle = setTimeout(() => {
      this.#settle = undefined
      void this.check(true)
    }, this.#settleMs)
    this.#settle.unref()
  }

  async #read(force: boolean): Promise<void> {
    let text: string
    try {
      const before = await signatureOf(this.file)
      if (before === this.#signature && !force) return
      if (!force) {
        this.#later() // changed under the poll: maybe mid-write
        return
      }
      text = await readFile(this.file, 'utf8')
      if ((await signatureOf(this.file)) !== before) {
        this.#later() // written while read
        return
      }
      this.#signature = before
    } catch (err) {
      if (this.#signature === 'missing') return
      this.#signature = 'missing'
      if (!this.#closed)
        this.onEvent({ type: 'error', message: `dtabFile ${this.file}: ${errorMessage(err)}` })
      return
    }
    if (this.#closed) return
    try {
      this.onEvent({ type: 'dtab', dtab: Dtab.read(text), text })
    } catch (err) {
      const message =
        err instanceof DtabParseError
          ? `dtabFile ${this.file}: ${renderParseError(err)}`
          : `dtabFile ${this.file}: ${errorMessage(err)}`
      this.onEvent({ type: 'error', message })
    }
  }
}
