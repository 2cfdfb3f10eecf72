// Linkerd's `default` interpreter (the router's own dtab) and `io.l5d.fs` (a watched dtabFile),
// with the proxy's local namers (io.l5d.fs) and the `/$/` built-ins.
import { resolve } from 'node:path'
import {
  Dtab,
  DtabParseError,
  type MountedNamer,
  type Path,
  renderParseError,
} from '@switchyard/dtab'
import {
  type Addr,
  type AddrResolver,
  createAddrResolver,
  type MountedNamers,
  type MountOptions,
  mountNamers,
  parseNamersConfig,
  type ResolverOptions,
  type Var,
} from '@switchyard/namers'
import { errorMessage } from '@switchyard/wire'
import type { Logger } from 'pino'
import { alwaysBound } from './bound-namers.js'
import { type DtabFileEvent, type DtabFileOptions, DtabFileWatcher } from './dtab-file.js'
import { InterpreterError } from './errors.js'
import { ChangeListeners, whenReady } from './listeners.js'
import type { Interpreter, InterpreterStatus } from './types.js'

export interface LocalInterpreterOptions {
  /** The dtab itself (Linkerd's router `dtab`). */
  readonly dtab?: string
  /** A file holding the dtab, watched; relative to `baseDir`. */
  readonly dtabFile?: string
  /** The `namers:` config (io.l5d.fs with rootDir), checked with parseNamersConfig. */
  readonly namers?: unknown
  /** What relative `dtabFile` and `rootDir` are relative to; default the working directory. */
  readonly baseDir?: string
  readonly mount?: MountOptions
  readonly resolver?: ResolverOptions
  readonly dtabFileOptions?: DtabFileOptions
  readonly logger?: Logger
}

/** Throws InterpreterError('dtab_file'...) naming the offset for an inline dtab that does not parse. */
function readInline(text: string): Dtab {
  try {
    return Dtab.read(text)
  } catch (err) {
    if (err instanceof DtabParseError) {
      throw new InterpreterError('dtab_file', renderParseError(err), err)
    }
    throw err
  }
}

export class LocalInterpreter implements Interpreter {
  #namers: readonly MountedNamer[] = []
  #resolver: AddrResolver = createAddrResolver([])
  #mounted: MountedNamers | undefined
  #file: DtabFileWatcher | undefined
  #dtab: Dtab | undefined
  #dtabText: string | undefined
  #status: InterpreterStatus = { kind: 'local', connected: false }
  #versions = 0
  #closed = false
  #fatal: Error | undefined
  readonly #listeners = new ChangeListeners()
  readonly #started: Promise<void>
  readonly #logger: Logger | undefined

  /** Validates the config at once (throws NamersConfigError, InterpreterError); mounts in the background. */
  constructor(options: LocalInterpreterOptions) {
    this.#logger = options.logger
    const baseDir = options.baseDir ?? process.cwd()
    const namers = parseNamersConfig(options.namers ?? []).map((c) =>
      c.kind === 'io.l5d.fs' ? { ...c, rootDir: resolve(baseDir, c.rootDir) } : c,
    )
    if (options.dtab !== undefined && options.dtabFile !== undefined) {
      throw new InterpreterError('dtab_file', 'give either dtab or dtabFile, not both')
    }
    const inline = options.dtabFile === undefined ? readInline(options.dtab ?? '') : undefined
    const file = options.dtabFile === undefined ? undefined : resolve(baseDir, options.dtabFile)
    this.#started = this.#start(namers, options, inline, file)
  }

  async #start(
    namers: unknown,
    options: LocalInterpreterOptions,
    inline: Dtab | undefined,
    file: string | undefined,
  ): Promise<void> {
    try {
      // The io.l5d.k8s namers say when they cannot read the API, and when they can again.
      this.#mounted = await mountNamers(namers, { logger: options.logger, ...options.mount })
    } catch (err) {
      this.#fatal = err instanceof Error ? err : new Error(String(err))
      this.#status = { ...this.#status, lastError: errorMessage(err) }
      this.#logger?.error({ err: errorMessage(err) }, 'cannot mount namers')
      this.#listeners.fire()
      return
    }
    if (this.#closed) {
      await this.#mounted.close()
      return
    }
    this.#namers = this.#mounted.namers.map(alwaysBound)
    this.#resolver = createAddrResolver(this.#mounted.namers, options.resolver)
    if (inline !== undefined) this.#set(inline)
    if (file !== undefined) {
      this.#file = new DtabFileWatcher(file, (e) => this.#onFile(e), options.dtabFileOptions)
      await this.#file.check(true)
    }
  }

  get dtab(): Dtab | undefined {
    return this.#dtab
  }

  get status(): InterpreterStatus {
    return this.#status
  }

  get namers(): readonly MountedNamer[] {
    return this.#namers
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener)
  }

  addr(id: Path): Var<Addr> {
    return this.#resolver.addr(id)
  }

  /** Resolves once the dtab is there (or after timeoutMs); rejects when the namers cannot mount. */
  async ready(timeoutMs?: number): Promise<void> {
    await this.#started
    if (this.#fatal !== undefined) throw this.#fatal
    await whenReady(() => this.#dtab !== undefined || this.#closed, this.#listeners, timeoutMs)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.fire()
    this.#listeners.clear()
    this.#file?.close()
    await this.#started.catch(() => {})
    await this.#mounted?.close()
  }

  #onFile(e: DtabFileEvent): void {
    if (e.type === 'error') {
      this.#status = { ...this.#status, connected: false, lastError: e.message }
      this.#logger?.warn({ err: e.message }, 'dtabFile refused; keeping the last good dtab')
      return
    }
    this.#set(e.dtab)
  }

  #set(dtab: Dtab): void {
    const text = Dtab.show(dtab)
    this.#status = {
      ...this.#status,
      connected: true,
      lastError: undefined,
      updatedAt: Date.now(),
    }
    if (text === this.#dtabText) return
    this.#dtab = dtab
    this.#dtabText = text
    this.#versions++
    this.#status = { ...this.#status, version: String(this.#versions) }
    this.#listeners.fire()
  }
}
