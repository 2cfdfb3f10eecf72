// A source produces the states of a live answer (a dtab, a binding, an addr) into a sink: a
// watch stream, or a one-shot request that takes the first state.
import { errorMessage } from '@switchyard/wire'
import { ApiError } from './errors.js'

/**
 * One state of a watched answer: the exact bytes to send (a Buffer when one rendering is shared
 * by many streams), and the dtab version behind it.
 */
export interface State {
  readonly text: string | Buffer
  /** The namespace's version (ETag) that produced it; null when the namespace is absent. */
  readonly version?: string | null
}

/** Where a source delivers. After `fail` or `end`, nothing more is delivered. */
export interface Sink {
  state(state: State): void
  /**
   * The answer cannot be computed: namerd writes the message as a line and closes. `refused`
   * (an error code) when the request itself is at fault, such as its own dtab: a one-shot
   * answer is then a 400 with that code, not a 500.
   */
  fail(message: string, refused?: string): void
  /** The source is gone (the store closed): end the stream cleanly. */
  end(): void
}

/** Starts a source; returns the function that stops it. */
export type Source = (sink: Sink) => () => void

/**
 * A source fed by an async iterable such as a store watch: each event goes to `onEvent`; the
 * iterable ending (the store closed) ends the sink; a failure fails it. `open` may throw (an
 * invalid namespace), and then starting the source throws.
 */
export function iterableSource<T>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  onEvent: (event: T, sink: Sink) => void,
): Source {
  return (sink) => {
    const ac = new AbortController()
    const events = open(ac.signal)
    void (async () => {
      try {
        for await (const event of events) {
          if (ac.signal.aborted) return
          onEvent(event, sink)
        }
        if (!ac.signal.aborted) sink.end()
      } catch (err) {
        if (!ac.signal.aborted) sink.fail(errorMessage(err))
      }
    })()
    return () => ac.abort()
  }
}

/** A one-shot answer: the source's first state, or an error (500 on failure, 503 on timeout). */
export function firstState(source: Source, timeoutMs: number): Promise<State> {
  return new Promise((resolve, reject) => {
    let stop: (() => void) | undefined
    let done = false
    const finish = (settle: () => void) => {
      if (done) return
      done = true
      clearTimeout(timer)
      // Stopping from inside the source's own callback is safe only once it has returned.
      queueMicrotask(() => stop?.())
      settle()
    }
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new ApiError(
              503,
              'timeout',
              `no answer within ${timeoutMs} ms: addresses are still pending`,
            ),
          ),
        ),
      timeoutMs,
    )
    stop = source({
      state: (s) => finish(() => resolve(s)),
      fail: (m, refused) =>
        finish(() =>
          reject(
            refused === undefined
              ? new ApiError(500, 'bind_failed', m)
              : new ApiError(400, refused, m),
          ),
        ),
      end: () =>
        finish(() => reject(new ApiError(503, 'shutting_down', 'namerd is shutting down'))),
    })
  })
}
