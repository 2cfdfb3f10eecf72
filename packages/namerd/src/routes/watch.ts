// Watch streams (namerd-wire.md §1.3): 200, chunked, one document and a newline per state,
// consecutive identical states never repeated; on an error, the message as a line, then the
// end. The write side keeps at most one unsent state: a watcher that reads slowly (or not at
// all) is sent the latest state when it catches up, never a backlog, so it costs a bounded
// amount of memory whatever it does.
import type { ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Context } from '../context.js'
import { ApiError } from '../errors.js'
import type { WatchKind } from '../metrics.js'
import { remoteOf, watcherAdmin, watcherId } from '../request.js'
import type { Sink, Source, State } from '../source.js'

/** Two renderings of a state show the watcher the same thing. */
function sameText(a: string | Buffer | undefined, b: string | Buffer): boolean {
  if (a === b) return true
  return a !== undefined && typeof a !== 'string' && typeof b !== 'string' && a.equals(b)
}

interface StreamHooks {
  onSent(): void
  onDropped(): void
  onClose(): void
}

/**
 * A response body that carries the latest state. Node asks for more (`_read`) only when the
 * connection has taken what it had, so a state is written only then; a newer state replaces
 * an unsent one.
 */
export class StateStream extends Readable implements Sink {
  #pending: State | null = null
  #lastText: string | Buffer | undefined
  #wanted = false
  #ended = false
  #headersFlushed = false
  /** The version of the newest state the watcher has (sent, or equal to what was sent). */
  version: string | null = null
  sentAt: Date | null = null
  sent = 0
  dropped = 0

  constructor(
    private readonly res: ServerResponse,
    private readonly hooks: StreamHooks,
  ) {
    // One byte: whatever is pushed fills the buffer, so nothing more is produced until the
    // connection has taken it.
    super({ highWaterMark: 1 })
  }

  /** Bytes written but not yet taken by the kernel: bounded by about two states. */
  get bufferedBytes(): number {
    return this.readableLength + this.res.writableLength
  }

  state(state: State): void {
    if (this.#ended) return
    if (sameText(this.#lastText, state.text)) {
      // The watcher has this state already (it now stands for this version too); an unsent
      // state in between is moot.
      if (this.#pending !== null) this.#drop()
      if (state.version !== undefined) this.version = state.version
      return
    }
    if (this.#pending !== null && !sameText(this.#pending.text, state.text)) this.#drop()
    this.#pending = state
    if (this.#wanted) this.#flush()
  }

  fail(message: string): void {
    if (this.#ended) return
    this.#pending = null
    this.push(`${message}\n`)
    this.end()
  }

  /** Ends the stream cleanly once what was sent has been taken. */
  end(): void {
    if (this.#ended) return
    this.#ended = true
    this.#pending = null
    this.push(null)
  }

  override _read(): void {
    if (!this.#headersFlushed) {
      // A watch of a namespace that does not exist sends nothing for a while; the client
      // must still get the response headers at once.
      this.#headersFlushed = true
      if (!this.res.headersSent) this.res.flushHeaders()
    }
    if (this.#pending !== null) this.#flush()
    else this.#wanted = true
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#ended = true
    this.#pending = null
    this.hooks.onClose()
    callback(err)
  }

  #drop(): void {
    this.#pending = null
    this.dropped++
    this.hooks.onDropped()
  }

  #flush(): void {
    const state = this.#pending!
    this.#pending = null
    this.#wanted = false
    this.#lastText = state.text
    if (state.version !== undefined) this.version = state.version
    this.sentAt = new Date()
    this.sent++
    this.hooks.onSent()
    this.push(state.text)
  }
}

export interface WatchSpec {
  readonly kind: WatchKind
  /** The namespace whose dtab drives it, for the propagation status; null if none. */
  readonly namespace: string | null
  readonly contentType: string
}

/** Answers `req` with a watch stream fed by `source`, registered for the propagation status. */
/**
 * Responses that are watch streams. Their duration is how long a watcher stayed, not a request
 * latency, so the latency histogram skips them. (Node chunks a body without setting a
 * Transfer-Encoding header we could read, hence an explicit mark.)
 */
export const watchResponses = new WeakSet<object>()

export function serveWatch(
  ctx: Context,
  req: FastifyRequest,
  reply: FastifyReply,
  spec: WatchSpec,
  source: Source,
): FastifyReply {
  if (ctx.state.draining) throw new ApiError(503, 'shutting_down', 'namerd is shutting down')
  if (ctx.watchers.size >= ctx.limits.maxWatchers) {
    throw new ApiError(
      503,
      'too_many_watchers',
      `namerd already serves ${ctx.watchers.size} watch streams (limits.maxWatchers); retry later`,
    )
  }
  watchResponses.add(reply.raw)
  const id = watcherId(req)
  // A refused admin address does not refuse the watch: the proxy still gets its dtab, rollouts
  // just cannot read its metrics, and the log says why.
  const admission = ctx.watchers.admitAdmin(watcherAdmin(req), req.raw.socket.remoteAddress)
  if (admission.refused !== null) req.log.warn({ remote: remoteOf(req) }, admission.refused)
  const { kind } = spec
  let stop: (() => void) | undefined
  let closed = false
  const stream = new StateStream(reply.raw, {
    onSent: () => ctx.metrics.watchStates.inc({ kind }),
    onDropped: () => ctx.metrics.watchDropped.inc({ kind }),
    onClose: () => {
      if (closed) return
      closed = true
      stop?.()
      ctx.watchers.remove(watcher)
      ctx.metrics.watchers.dec({ kind })
    },
  })
  const watcher = ctx.watchers.add({
    id,
    kind,
    namespace: spec.namespace,
    target: req.url,
    remote: remoteOf(req),
    since: new Date(),
    stream,
    admin: admission.admin,
  })
  ctx.metrics.watchers.inc({ kind })
  try {
    stop = source(stream)
  } catch (err) {
    stream.destroy()
    throw err
  }
  if (closed) stop()
  reply.type(spec.contentType)
  return reply.send(stream)
}
