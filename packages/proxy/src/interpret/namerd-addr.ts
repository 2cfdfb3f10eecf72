// One addr watch per concrete id (`GET /api/1/addr/<ns>?path=<id>&watch=1`), shared by every
// route that reaches the id and open only while someone subscribes. A broken stream is
// reopened with backoff and the last value stays meanwhile: endpoints that were good a moment
// ago beat none.
import { Path } from '@switchyard/dtab'
import { Addr, AddrJson, Var } from '@switchyard/namers'
import { errorMessage } from '@switchyard/wire'
import type { Logger } from 'pino'
import { backoffMs, type RetryConfig, sleep } from './backoff.js'
import { InterpreterError } from './errors.js'
import { apiUrl, type NamerdEndpoint, readWatch } from './namerd-http.js'

export interface NamerdAddrsOptions {
  readonly endpoint: NamerdEndpoint
  readonly namespace: string
  readonly retry: RetryConfig
  readonly logger?: Logger
}

/** Parses one line of an addr watch; throws InterpreterError when it is not an addr. */
export function parseAddrLine(line: string): Addr {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    // namerd reports an error as a plain text line, then ends the stream.
    throw new InterpreterError('namerd_stream', `namerd: ${line}`)
  }
  const r = AddrJson.safeParse(value)
  if (!r.success) {
    throw new InterpreterError(
      'namerd_body',
      `namerd sent an addr that is not one: ${line.slice(0, 200)}`,
    )
  }
  return Addr.fromJson(r.data)
}

function deliver(update: (a: Addr) => void, addr: Addr): void {
  try {
    update(addr)
  } catch (err) {
    // A listener's bug must not stop the watch.
    process.emitWarning(err instanceof Error ? err : String(err), 'VarListenerError')
  }
}

export class NamerdAddrs {
  readonly #watched = new Map<string, Var<Addr>>()
  /** Watch requests opened so far (for tests and metrics). */
  opened = 0

  constructor(private readonly options: NamerdAddrsOptions) {}

  /** How many ids are watched now. */
  get size(): number {
    return this.#watched.size
  }

  addr(id: Path): Var<Addr> {
    const key = Path.show(id)
    const shared = this.#watched.get(key)
    if (shared !== undefined) return shared
    const v: Var<Addr> = Var.async<Addr>(
      Addr.pending,
      (update) => {
        if (!this.#watched.has(key)) this.#watched.set(key, v)
        const ac = new AbortController()
        // Started on the next turn: a sample() of an unwatched var subscribes and unsubscribes
        // at once, and must not cost namerd a request.
        const timer = setImmediate(() => void this.#run(key, ac.signal, update))
        return () => {
          clearImmediate(timer)
          ac.abort()
          if (this.#watched.get(key) === v) this.#watched.delete(key)
        }
      },
      { equals: Addr.equals },
    )
    return v
  }

  async #run(key: string, signal: AbortSignal, update: (a: Addr) => void): Promise<void> {
    const { endpoint, namespace, retry, logger } = this.options
    const url = apiUrl(
      endpoint.dst,
      `addr/${encodeURIComponent(namespace)}?path=${encodeURIComponent(key)}&watch=1`,
    )
    let attempt = 0
    while (!signal.aborted) {
      let got = false
      let delay: number
      try {
        this.opened++
        await readWatch(
          endpoint,
          url,
          signal,
          () => {},
          (line) => {
            const addr = parseAddrLine(line)
            got = true
            attempt = 0
            deliver(update, addr)
          },
        )
        // A clean end (namerd restarting): reopen at once, unless it keeps ending empty.
        delay = got ? 0 : backoffMs(retry, attempt++)
      } catch (err) {
        if (signal.aborted) return
        delay = backoffMs(retry, attempt++)
        logger?.warn(
          { id: key, err: errorMessage(err), retryInMs: Math.round(delay) },
          'namerd addr watch failed',
        )
      }
      await sleep(delay, signal)
    }
  }
}
