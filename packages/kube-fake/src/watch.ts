// One open watch: a chunked NDJSON response (headers flushed at once), fed by the store's events.
// Selector transitions become ADDED/DELETED, DELETED carries the deletion's RV, BOOKMARKs only when
// asked for, and timeoutSeconds ends the body cleanly, as kube-apiserver's watch handler does.
import type { ServerResponse } from 'node:http'
import type { StoreEvent } from './history.js'
import { clone, type JsonObject, metadataOf } from './json.js'
import { present } from './objects.js'
import { apiVersionOf, type ResourceType, resourceId } from './resource-type.js'
import type { Selector } from './selectors.js'
import { type ExpiredReason, statusBody } from './status.js'

/** A watcher that cannot drain this much is cut, like the watch cache drops unresponsive watchers. */
const MAX_BUFFERED = 16 * 1024 * 1024

export interface WatchFilter {
  readonly rt: ResourceType
  readonly namespace: string | undefined
  readonly labels: Selector
  readonly fields: Selector
}

export class WatchStream {
  private closed = false
  private lastSentRv: number
  private timers: NodeJS.Timeout[] = []

  constructor(
    private readonly res: ServerResponse,
    readonly filter: WatchFilter,
    startRv: number,
    readonly bookmarks: boolean,
    private readonly onClose: (w: WatchStream) => void,
  ) {
    this.lastSentRv = startRv
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
    })
    res.flushHeaders()
    res.on('close', () => this.finish())
  }

  get resource(): string {
    return resourceId(this.filter.rt)
  }

  /** Ends the body cleanly after `ms` (timeoutSeconds), with a bookmark shortly before when asked. */
  endAfter(ms: number, lastBookmarkRv: () => number): void {
    this.timers.push(setTimeout(() => this.end(), ms))
    if (this.bookmarks && ms > 2000) {
      this.timers.push(setTimeout(() => this.bookmark(lastBookmarkRv()), ms - 1000))
    }
  }

  private matches(object: JsonObject | undefined): boolean {
    if (object === undefined) return false
    const f = this.filter
    if (f.namespace !== undefined && metadataOf(object).namespace !== f.namespace) return false
    return f.labels(object) && f.fields(object)
  }

  /** The synthetic ADDED of a watch started without a resourceVersion (or "0"). */
  sendInitial(object: JsonObject): void {
    if (this.matches(object)) this.write('ADDED', present(this.filter.rt, object))
  }

  deliver(event: StoreEvent): void {
    if (this.closed || event.resource !== this.resource || event.rv <= this.lastSentRv) return
    const now = event.type !== 'DELETED' && this.matches(event.object)
    const before = this.matches(event.prev)
    const rt = this.filter.rt
    if (event.type === 'DELETED') {
      if (before || this.matches(event.object)) this.write('DELETED', present(rt, event.object))
    } else if (now && before) {
      this.write('MODIFIED', present(rt, event.object))
    } else if (now) {
      this.write('ADDED', present(rt, event.object))
    } else if (before && event.prev !== undefined) {
      // Stopped matching: the previous state, with this event's RV (cache_watcher.go).
      const last = clone(event.prev)
      metadataOf(last).resourceVersion = String(event.rv)
      this.write('DELETED', present(rt, last))
    }
  }

  /** A BOOKMARK at `rv` if the watch has not already moved past it. */
  bookmark(rv: number): void {
    if (this.closed || !this.bookmarks || rv <= this.lastSentRv) return
    const rt = this.filter.rt
    this.lastSentRv = rv
    this.line({
      type: 'BOOKMARK',
      object: {
        kind: rt.kind,
        apiVersion: apiVersionOf(rt),
        metadata: { resourceVersion: String(rv) },
      },
    })
  }

  /** One ERROR event (410 for a too-old resourceVersion), then a clean end. */
  expire(message: string, reason: ExpiredReason): void {
    this.line({ type: 'ERROR', object: statusBody({ code: 410, reason, message }) })
    this.end()
  }

  private write(type: string, object: JsonObject): void {
    const rv = Number(metadataOf(object).resourceVersion)
    if (Number.isSafeInteger(rv) && rv > this.lastSentRv) this.lastSentRv = rv
    this.line({ type, object })
  }

  private line(event: JsonObject): void {
    if (this.closed) return
    this.res.write(`${JSON.stringify(event)}\n`)
    if (this.res.writableLength > MAX_BUFFERED) this.sever()
  }

  /** A clean end of the body (server timeout or shutdown). */
  end(): void {
    if (this.closed) return
    this.res.end()
    this.finish()
  }

  /** The connection dropped without a clean end. */
  sever(): void {
    if (this.closed) return
    this.res.destroy()
    this.finish()
  }

  private finish(): void {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers = []
    this.onClose(this)
  }
}
