// One watch, from a resourceVersion until it is over, on client-node's Watch.
//
// How long a watch lives. The watch asks the API server for `timeoutSeconds` (by default a
// random 300–599 s, as client-go's reflector does), after which the server ends the body cleanly
// and the loop watches again from where it was: one re-watch per five to ten minutes per loop,
// not the API-server load of one every half minute. Two client-side timers would cut a quiet
// watch first, so both are moved out of the way:
// - client-node's Watch.requestTimeoutMs (30 s by default) is an inactivity timer, reset on every
//   chunk; it is set to timeoutSeconds plus WATCH_CLIENT_MARGIN_MS for each watch, so it fires
//   only when the server has failed to end the watch it was asked to end;
// - undici's bodyTimeout (300 s between chunks by default) is lifted for watches where the
//   connection pool allows it (kube.ts); where it does not, its end is taken as a clean end.
//
// A black-holed connection (the API server or a load balancer gone without a FIN or RST): every
// connection has TCP keepalive (client-node's agents ask for it after 30 s idle, undici's
// default after 60 s; Node's libuv then probes each second, ten times), so the kernel gives up
// on it about 40–70 s after the last packet and the watch ends as dropped. An API server that
// keeps the connection but never sends again is cut by the inactivity timer above, at the
// latest timeoutSeconds + 30 s after the last chunk. Meanwhile reads do not depend on the watch:
// the k8s store's get and list ask the API server directly and notice at once.
import type { Watch } from './client-node.js'
import { errorFromResponse, type KubeError, parseStatus, toKubeError } from './errors.js'
import type { Kube } from './kube.js'
import type { KubeRequest } from './resource.js'

/** The watch timeoutSeconds asked by default: a random whole number in [300, 600), as client-go. */
export function defaultWatchTimeoutSeconds(random: () => number = Math.random): number {
  return 300 + Math.floor(random() * 300)
}

/** How long past its timeoutSeconds the client lets a silent watch run before cutting it. */
export const WATCH_CLIENT_MARGIN_MS = 30_000

export type WatchOutcome =
  | { readonly kind: 'stopped' }
  /** The stream ended cleanly (server timeout) or a client timer cut an open stream. */
  | { readonly kind: 'ended'; readonly events: number; readonly ms: number }
  /** ERROR 410 in the stream, or HTTP 410. */
  | { readonly kind: 'expired'; readonly events: number }
  /** The connection broke after the watch had started. */
  | {
      readonly kind: 'dropped'
      readonly error: KubeError
      readonly events: number
      readonly ms: number
    }
  /** The watch could not start (unreachable, 403, CRD missing), or an ERROR event other than 410. */
  | { readonly kind: 'failed'; readonly error: KubeError; readonly relist: boolean }

export interface WatchOnceOptions {
  readonly kube: Kube
  readonly watcher: Watch
  /** What is watched, for messages. */
  readonly request: KubeRequest
  readonly path: string
  /** The query, without timeoutSeconds. */
  readonly query: Readonly<Record<string, string | number | boolean>>
  readonly timeoutSeconds: number
  /** Every event but ERROR, in order. An exception is the caller's to report. */
  readonly onEvent: (type: unknown, object: unknown) => void
  readonly onHandlerError: (error: unknown) => void
  /** The API server accepted the watch (200, headers in). */
  readonly onStarted: () => void
  /** Ends the watch (outcome `stopped`) when aborted. */
  readonly signal: AbortSignal
}

/** Opens one watch and resolves when it is over, saying how. */
export function watchOnce(o: WatchOnceOptions): Promise<WatchOutcome> {
  const { kube, request, signal } = o
  return new Promise<WatchOutcome>((resolve) => {
    const started = Date.now()
    let events = 0
    let settled = false
    let connected = false
    let verdict: WatchOutcome | null = null
    let controller: AbortController | null = null
    const finish = (outcome: WatchOutcome) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      controller?.abort()
      resolve(outcome)
    }
    const onAbort = () => finish({ kind: 'stopped' })
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })

    const onEvent = (type: unknown, object: unknown) => {
      if (settled || verdict) return
      events++
      if (type === 'ERROR') {
        const status = parseStatus(object)
        const code = status?.code ?? 500
        verdict =
          code === 410
            ? { kind: 'expired', events: events - 1 }
            : {
                kind: 'failed',
                error: errorFromResponse(code, object, kube.server, request),
                relist: true,
              }
        controller?.abort() // the server closes the stream anyway; stop reading now
        return
      }
      try {
        o.onEvent(type, object)
      } catch (err) {
        o.onHandlerError(err)
      }
    }
    const onDone = (err: unknown) => {
      if (verdict) return finish(verdict)
      if (signal.aborted) return finish({ kind: 'stopped' })
      const ms = Date.now() - started
      if (err === null || err === undefined || (connected && clientTimeout(err))) {
        return finish({ kind: 'ended', events, ms })
      }
      const e = toKubeError(err, kube.server, request)
      if (e.code === 'expired') return finish({ kind: 'expired', events })
      if (connected) return finish({ kind: 'dropped', error: e, events, ms })
      // A missing CRD (or a vanished namespace) may come back empty: list afresh then.
      return finish({ kind: 'failed', error: e, relist: e.status === 404 })
    }

    setInactivityTimeout(o.watcher, o.timeoutSeconds * 1000 + WATCH_CLIENT_MARGIN_MS)
    let starting: Promise<AbortController>
    try {
      starting = o.watcher.watch(
        o.path,
        { ...o.query, timeoutSeconds: o.timeoutSeconds },
        onEvent,
        onDone,
      )
    } catch (err) {
      onDone(err)
      return
    }
    starting.then(
      (c) => {
        controller = c
        if (settled) {
          c.abort()
          return
        }
        connected = true
        o.onStarted()
      },
      (err: unknown) => onDone(err),
    )
  })
}

/**
 * Sets client-node's inactivity timer of a Watch. `requestTimeoutMs` is a plain field in
 * client-node 2.0.1's JavaScript, read each time the timer is (re)armed, but declared private
 * in its types; reflect.test.ts fails if a new version stops honouring it.
 */
function setInactivityTimeout(watcher: Watch, ms: number): void {
  ;(watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs = ms
}

/**
 * A client-side timer ended an open watch: client-node's inactivity timer (TimeoutError), or
 * undici's body timeout where it could not be lifted. Either is a clean end: watch again.
 */
function clientTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'TimeoutError') return true
  const code = (err as Error & { code?: unknown }).code
  const causeCode = (err.cause as { code?: unknown } | undefined)?.code
  return code === 'UND_ERR_BODY_TIMEOUT' || causeCode === 'UND_ERR_BODY_TIMEOUT'
}
