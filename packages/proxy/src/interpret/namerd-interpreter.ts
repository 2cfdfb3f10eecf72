// Linkerd's io.l5d.namerd.http in spirit, with binding done here: the namespace's dtab comes
// from one watch (`GET /api/1/dtabs/<ns>?watch=1`) and routes bind locally with the dtab core,
// so a request (overrides included) costs namerd nothing; only a concrete `/#/...` id that no
// route watched before opens one addr watch. namerd gone: routing goes on with the last good
// dtab and addrs while the watches reconnect with jittered exponential backoff.

import { Dtab, type MountedNamer, type Path } from '@switchyard/dtab'
import {
  type Addr,
  type AddrResolver,
  createAddrResolver,
  type ResolverOptions,
  type Var,
} from '@switchyard/namers'
import { errorMessage } from '@switchyard/wire'
import type { Logger } from 'pino'
import { z } from 'zod'
import { backoffMs, DEFAULT_RETRY, type RetryConfig, sleep } from './backoff.js'
import { namerdHashNamer } from './bound-namers.js'
import { InterpreterError } from './errors.js'
import { ChangeListeners, whenReady } from './listeners.js'
import { NamerdAddrs } from './namerd-addr.js'
import {
  apiUrl,
  getOnce,
  NamerdAgents,
  type NamerdEndpoint,
  type NamerdTls,
  readWatch,
} from './namerd-http.js'
import type { Interpreter, InterpreterStatus } from './types.js'

export interface NamerdInterpreterOptions {
  /** namerd's base URL, e.g. `http://127.0.0.1:4180`. */
  readonly dst: string
  /** Default `default`. */
  readonly namespace?: string
  /** Reconnect backoff; default 5 s to 600 s as Linkerd (fractions allowed). */
  readonly retry?: Partial<RetryConfig>
  /** A bearer token for a namerd that requires one to read. */
  readonly token?: string
  /** Sent as `l5d-watcher-id` on every watch, so namerd reports who holds which version. */
  readonly watcherId?: string
  /**
   * Sent as `l5d-watcher-admin` on every watch: the proxy's admin address, where namerd's
   * rollouts read its metrics snapshot. A promise when the address is known only later.
   */
  readonly watcherAdmin?: string | Promise<string | undefined>
  /** For `/$/inet` names, which are resolved here. */
  readonly resolver?: ResolverOptions
  readonly logger?: Logger
  /** TLS to an https namerd (the interpreter's `tls:`, loaded); absent: the system's CAs. */
  readonly tls?: NamerdTls
}

const DentriesJson = z.array(z.object({ prefix: z.string(), dst: z.string() }))

/** Parses one line of a dtab watch; throws InterpreterError when it is not a dtab. */
export function parseDtabLine(line: string): Dtab {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    // namerd reports an error (an unreadable stored dtab, say) as a text line, then ends.
    throw new InterpreterError('namerd_stream', `namerd: ${line}`)
  }
  const r = DentriesJson.safeParse(value)
  if (!r.success) {
    throw new InterpreterError(
      'namerd_body',
      `namerd sent a dtab that is not one: ${line.slice(0, 200)}`,
    )
  }
  try {
    return Dtab.fromJson(r.data)
  } catch (err) {
    throw new InterpreterError('namerd_body', `namerd sent a bad dtab: ${errorMessage(err)}`, err)
  }
}

/** A stream open this long that ends cleanly is reopened at once, whatever it carried. */
const LIVED_MS = 1000

export class NamerdInterpreter implements Interpreter {
  readonly namers: readonly MountedNamer[] = [namerdHashNamer]
  readonly namespace: string
  readonly #endpoint: NamerdEndpoint
  // Watches are quiet for as long as nothing changes: no socket timeout, only one for the
  // response head (namerd-http.ts).
  readonly #agents: NamerdAgents
  readonly #retry: RetryConfig
  readonly #logger: Logger | undefined
  readonly #closing = new AbortController()
  readonly #listeners = new ChangeListeners()
  readonly #addrs: NamerdAddrs
  readonly #local: AddrResolver
  #dtab: Dtab | undefined
  #dtabText: string | undefined
  #status: InterpreterStatus
  #probeSeq = 0
  /** The 404 last logged (namespace missing or deleted), so each is logged once per change. */
  #missingLogged: string | undefined
  #running: Promise<void>

  constructor(options: NamerdInterpreterOptions) {
    this.namespace = options.namespace ?? 'default'
    this.#retry = { ...DEFAULT_RETRY, ...options.retry }
    this.#logger = options.logger
    this.#agents = new NamerdAgents(options.tls)
    this.#endpoint = {
      dst: options.dst,
      token: options.token,
      watcherId: options.watcherId,
      watcherAdmin:
        options.watcherAdmin === undefined ? undefined : Promise.resolve(options.watcherAdmin),
      agents: this.#agents,
    }
    this.#addrs = new NamerdAddrs({
      endpoint: this.#endpoint,
      namespace: this.namespace,
      retry: this.#retry,
      logger: options.logger,
    })
    this.#local = createAddrResolver([], options.resolver)
    this.#status = { kind: 'namerd', connected: false, namespace: this.namespace }
    this.#running = this.#run()
  }

  get dtab(): Dtab | undefined {
    return this.#dtab
  }

  get status(): InterpreterStatus {
    return this.#status
  }

  /** Addr watches opened on namerd so far, and how many ids are watched now (for tests, admin). */
  get addrWatches(): { opened: number; open: number } {
    return { opened: this.#addrs.opened, open: this.#addrs.size }
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener)
  }

  addr(id: Path): Var<Addr> {
    return id[0] === '#' ? this.#addrs.addr(id) : this.#local.addr(id)
  }

  ready(timeoutMs?: number): Promise<void> {
    return whenReady(
      () => this.#dtab !== undefined || this.#closing.signal.aborted,
      this.#listeners,
      timeoutMs,
    )
  }

  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return
    this.#closing.abort()
    this.#listeners.fire() // wakes ready() waiters
    this.#listeners.clear()
    await this.#running
    this.#agents.destroy()
  }

  #setStatus(patch: Partial<InterpreterStatus>): void {
    this.#status = { ...this.#status, ...patch }
  }

  async #run(): Promise<void> {
    const signal = this.#closing.signal
    const url = apiUrl(this.#endpoint.dst, `dtabs/${encodeURIComponent(this.namespace)}?watch=1`)
    let attempt = 0
    let failed = false
    while (!signal.aborted) {
      let openedAt = 0
      let got = false
      let delay: number
      try {
        await readWatch(
          this.#endpoint,
          url,
          signal,
          () => {
            openedAt = Date.now()
            if (failed)
              this.#logger?.info({ namespace: this.namespace }, 'namerd dtab watch reconnected')
            failed = false
            this.#setStatus({ connected: true })
            // The stream sends nothing while the namespace is missing: ask, to say so.
            void this.#probe(undefined)
          },
          (line) => {
            const dtab = parseDtabLine(line)
            got = true
            attempt = 0
            this.#apply(dtab, line)
          },
        )
        const lived = openedAt > 0 && Date.now() - openedAt >= LIVED_MS
        if (lived) attempt = 0
        // A clean end (namerd restarting): reopen at once, unless it keeps ending at once.
        delay = got || lived ? 0 : backoffMs(this.#retry, attempt++)
        this.#setStatus({ connected: false })
      } catch (err) {
        if (signal.aborted) break
        failed = true
        delay = backoffMs(this.#retry, attempt++)
        this.#setStatus({ connected: false, lastError: errorMessage(err) })
        this.#logger?.warn(
          { namespace: this.namespace, err: errorMessage(err), retryInMs: Math.round(delay) },
          this.#dtab === undefined
            ? 'namerd dtab watch failed; no dtab yet, so requests are answered 503 until it has one'
            : 'namerd dtab watch failed; routing on the last good dtab',
        )
      }
      await sleep(delay, signal)
    }
    this.#setStatus({ connected: false })
  }

  #apply(dtab: Dtab, line: string): void {
    const text = Dtab.show(dtab)
    const changed = text !== this.#dtabText
    this.#setStatus({ connected: true, lastError: undefined, updatedAt: Date.now() })
    this.#missingLogged = undefined
    if (changed) {
      this.#dtab = dtab
      this.#dtabText = text
      this.#setStatus({ version: undefined })
      this.#logger?.info({ namespace: this.namespace, dtab: text }, 'dtab from namerd')
      this.#listeners.fire()
    }
    void this.#probe(line)
  }

  /**
   * A dtab stream carries no versions, so the version comes from a one-shot GET: taken when
   * its body is the state we hold (else a newer state is on its way). It also tells a missing
   * namespace from a quiet one.
   */
  async #probe(line: string | undefined): Promise<void> {
    const seq = ++this.#probeSeq
    const url = apiUrl(this.#endpoint.dst, `dtabs/${encodeURIComponent(this.namespace)}`)
    let res: Awaited<ReturnType<typeof getOnce>>
    try {
      res = await getOnce(this.#endpoint, url, this.#closing.signal)
    } catch {
      return // the watch reports connection trouble
    }
    if (seq !== this.#probeSeq || this.#closing.signal.aborted) return
    if (res.status === 404) {
      const message =
        this.#dtab === undefined
          ? `namespace "${this.namespace}" not found at namerd`
          : `namespace "${this.namespace}" was deleted at namerd; routing on the last dtab`
      this.#setStatus({ lastError: message })
      this.#logMissing(message)
      return
    }
    if (res.status === 200) this.#missingLogged = undefined
    if (res.status === 200 && line !== undefined && res.text.trimEnd() === line.trimEnd()) {
      this.#setStatus({ version: res.etag })
    }
  }

  /**
   * A missing namespace is not a failure of the watch (namerd answers, and holds the stream
   * open until the namespace appears), so nothing else logs it; a proxy waiting on it would
   * say nothing. Logged once per change (a reconnect that finds it still missing is quiet).
   */
  #logMissing(message: string): void {
    if (this.#missingLogged === message) return
    this.#missingLogged = message
    const ns = this.namespace
    const namerd = this.#endpoint.dst
    const todo = `create it (namerctl --base-url ${namerd} dtab create ${ns} <file>) or check the router's interpreter.namespace`
    this.#logger?.warn(
      { namespace: ns, namerd },
      this.#dtab === undefined
        ? `namespace "${ns}" not found at namerd ${namerd}; no dtab, so requests are answered 503 and /admin/ready is 503 until it exists: ${todo}`
        : `namespace "${ns}" was deleted at namerd ${namerd}; routing on the last dtab until it is back: ${todo}`,
    )
  }
}
