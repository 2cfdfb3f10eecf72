// One watch, from a resourceVersion until it is over, on client-node's Watch.
//
// The watch asks for a timeoutSeconds under client-node's 30 s inactivity timer, so the server
// ends it cleanly first.
import type { Watch } from '@kubernetes/client-node'
import { errorFromResponse, type KubeError, parseStatus, toKubeError } from './errors.js'
import type { Kube } from './kube.js'
import type { KubeRequest } from './resource.js'

/** The watch timeoutSeconds asked by default: a random 20–28 s. */
export function defaultWatchTimeoutSeconds(random: () => number = Math.random): number {
  return 20 + Math.floor(random() * 9)
}

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

/** client-node's inactivity timer ended an open watch: a clean end. */
function clientTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError'
}
