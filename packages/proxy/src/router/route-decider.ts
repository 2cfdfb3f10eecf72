// Where a request goes, the same for every protocol a router speaks: its call depth checked,
// its name identified, its overrides parsed, its route resolved and an endpoint picked; or the
// error to answer with. The HTTP/1.1 router (router.ts) and the h2 router (h2/h2-router.ts)
// each forward what this decides in their own protocol.
import { Dtab, Path } from '@switchyard/dtab'
import type { RouterConfig } from '../config/schema.js'
import type { HeaderMap } from '../http1/head.js'
import { createIdentifier, type Identifier, type RequestLike } from '../identify/index.js'
import type { Interpreter } from '../interpret/index.js'
import {
  describeNoRoute,
  describeRouting,
  parseOverrides,
  type Route,
  type RouteLeaf,
  Routes,
} from '../route/index.js'
import type { ErrorReply } from './error-response.js'
import { callDepth, clearL5d } from './outbound-headers.js'

export type Decision =
  | {
      readonly type: 'error'
      readonly error: ErrorReply
      /** The logical service, when the request was identified before it failed. */
      readonly service?: string
    }
  | {
      readonly type: 'leaf'
      readonly route: Route
      readonly url: string
      readonly leaf: RouteLeaf
      readonly ctxDtab: string
    }
  | {
      readonly type: 'pending'
      readonly route: Route
      readonly url: string
      readonly ctxDtab: string
      readonly base: Dtab
      readonly local: Dtab
    }

export type Leaf = Extract<Decision, { readonly type: 'leaf' }>
export type Pending = Extract<Decision, { readonly type: 'pending' }>
export type Settled = Exclude<Decision, { readonly type: 'pending' }>
export interface Aborted {
  readonly type: 'aborted'
}
export const ABORTED: Aborted = Object.freeze({ type: 'aborted' })

export class RouteDecider {
  readonly dstPrefix: Path
  readonly routes: Routes
  private readonly identify: Identifier

  constructor(
    private readonly config: RouterConfig,
    readonly interpreter: Interpreter,
    private readonly label: string,
  ) {
    this.dstPrefix = Path.read(config.dstPrefix)
    this.identify = createIdentifier(config.identifier, this.dstPrefix, config.protocol)
    this.routes = new Routes(interpreter)
  }

  /**
   * Identify, overrides, resolve, pick: where the request goes, or the error to answer with.
   * With `clear` (a clearContext server) the request's `l5d-*` headers are removed first.
   */
  decide(req: RequestLike & { readonly headers: HeaderMap }, clear: boolean): Decision {
    const headers = req.headers
    if (clear) clearL5d(headers)
    // Linkerd's MaxCallDepthFilter: refused when Via lists more hops than maxCallDepth.
    if (callDepth(headers.via) > this.config.maxCallDepth) {
      return err(
        400,
        `Maximum number of calls (${this.config.maxCallDepth}) has been exceeded: is there a routing loop?`,
      )
    }
    const id = this.identify(req)
    if (!id.ok) return err(400, `Unknown destination: ${id.reason}`)
    // Repeated l5d-dtab headers arrive as an array and are joined with ';'. On a clearContext
    // server, clearL5d above has already removed them.
    const overrides = parseOverrides(headers)
    if (!overrides.ok) return err(400, overrides.message)
    // From here the request names a service, and its failures count in that service's scope.
    const service = Path.show(id.dst)
    const base = this.interpreter.dtab
    if (base === undefined) {
      const s = this.interpreter.status
      return err(
        503,
        `No dtab yet for router ${this.label}${s.lastError ? `: ${s.lastError}` : ''}`,
        service,
      )
    }
    const route = this.routes.resolve(id.dst, overrides.local)
    if (route.type !== 'route') return err(503, `No dtab yet for router ${this.label}`, service)
    // The request's own l5d-dtab or l5d-ctx-dtab made the bind too much work: like a malformed one.
    if (route.refusal !== undefined) return err(400, route.refusal, service)
    const url = id.rewrittenUrl ?? req.url ?? '/'
    const leaf = route.pick()
    if (leaf !== undefined) return { type: 'leaf', route, url, leaf, ctxDtab: overrides.text }
    if (route.reason() === 'pending') {
      return {
        type: 'pending',
        route,
        url,
        ctxDtab: overrides.text,
        base,
        local: overrides.local,
      }
    }
    return err(502, describeNoRoute(id.dst, base, overrides.local, route.reason()), service)
  }

  /**
   * The first request for a name that namerd has not answered for yet waits for that answer
   * (one round trip, then cached), for at most `limitMs` (what is left of the request's
   * deadline), or until `signal` says its client left.
   */
  async settle(d: Pending, limitMs: number, signal: AbortSignal): Promise<Settled | Aborted> {
    if (limitMs <= 0) {
      return timedOut(
        `Deadline expired before the addresses of ${d.route.dstText} were known`,
        d.route.dstText,
      )
    }
    await d.route.settled(limitMs, signal)
    if (signal.aborted) return ABORTED
    // Waited long enough: an Alt may now fall back past a name that is still pending.
    const leaf = d.route.pick(Math.random, true)
    if (leaf !== undefined)
      return { type: 'leaf', route: d.route, url: d.url, leaf, ctxDtab: d.ctxDtab }
    const reason = d.route.reason()
    if (reason === 'pending')
      return timedOut(`Timed out waiting for the addresses of ${d.route.dstText}`, d.route.dstText)
    return err(502, describeNoRoute(d.route.dst, d.base, d.local, reason), d.route.dstText)
  }

  /** A 502 names the service, the dtab and the override that led to the failing endpoint. */
  withRouting(reply: ErrorReply, r: Leaf): ErrorReply {
    // The override parsed when the request arrived; the base is the dtab in force now.
    const local = r.ctxDtab === '' ? Dtab.empty : Dtab.read(r.ctxDtab)
    const routing = describeRouting(r.route.dst, this.interpreter.dtab ?? Dtab.empty, local)
    return { ...reply, message: `${reply.message}\n\n${routing}` }
  }

  /** The delegation of `path` for the admin's route debugger. */
  explain(path: Path, extra: Dtab): Promise<string> {
    return Promise.resolve(this.routes.explain(path, extra))
  }
}

/** Errors found before forwarding: the request never reached a backend, so retrying is safe. */
export function err(
  status: ErrorReply['status'],
  message: string,
  service?: string,
): Extract<Decision, { type: 'error' }> {
  const error: ErrorReply = { status, message, retryable: true }
  return service === undefined ? { type: 'error', error } : { type: 'error', error, service }
}

/** A 503 for a deadline spent before forwarding: sending it again cannot beat the same deadline. */
export function timedOut(message: string, service: string): Extract<Decision, { type: 'error' }> {
  return { type: 'error', error: { status: 503, message, retryable: false }, service }
}
