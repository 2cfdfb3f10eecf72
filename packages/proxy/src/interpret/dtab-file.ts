// A dtab kept in a file (Linkerd's io.l5d.fs interpreter, key `dtabFile`), watched: fs.watch on
// the directory (editors and ConfigMaps replace files by rename) plus a periodic stat, which
// catches what fs.watch misses. A new content that does not parse is refused and reported; the
// last good dtab stays.
import { type FSWatcher, watch } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { Dtab, DtabParseError, renderParseError } from '@switchyard/dtab'
import { errorMessage } from './errors.js'

export type DtabFileEvent =
  | { readonly type: 'dtab'; readonly dtab: Dtab; readonly text: string }
  | { readonly type: 'error'; readonly message: string }

export interface DtabFileOptions {
  /** How often the file is stat'ed besides fs.watch; default 1000 ms. */
  readonly pollMs?: number
}

export class DtabFileWatcher {
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined
  #signature: string | undefined
  #running: Promise<void> | undefined
  #again = false
  #closed = false

  constructor(
    readonly file: string,
    private readonly onEvent: (event: DtabFileEvent) => void,
    options: DtabFileOptions = {},
  ) {
    try {
      const name = basename(file)
      this.#watcher = watch(dirname(file), (_e, f) => {
        if (f === null || f === name) this.check(true)
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

  /** Reads the file now (force) or when its stat changed; resolves when done. */
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
  }

  async #read(force: boolean): Promise<void> {
    let text: string
    try {
      const st = await stat(this.file)
      const signature = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`
      if (!force && signature === this.#signature) return
      this.#signature = signature
      text = await readFile(this.file, 'utf8')
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
