// Where a request with a dtab override was routed, said on its RESPONSE. Linkerd's semantics
// let an `l5d-dtab` to a name that does not resolve fall back silently (an Alt goes on to its
// next branch), so a tester's 200 does not tell v1 from v2; these headers do. The names and
// values are Linkerd's own request headers (namerd-wire.md §4): `l5d-dst-service`, the logical
// name (`/svc/world`), `l5d-dst-client`, the bound concrete id the request went to
// (`/#/io.l5d.fs/world-v2`, `/$/inet/127.0.0.1/9002`, `/%/...` after a transformer), and
// `l5d-dst-residual` when binding left one.
//
// Only when the request carried `l5d-dtab` or `l5d-ctx-dtab` (whoever sends an override is
// debugging the mesh) and never on a clearContext server, whose clients are not trusted with
// internal names; there every `l5d-*` response header is stripped anyway.
//
// What a backend itself sends back: Linkerd leaves `l5d-dst-*` on a response alone (it has
// not written them on responses since PR #470, and strips them only with clearContext), and
// so does the proxy for a request without an override: the response is the backend's, and
// the fast path never parses it. On a response to an override the proxy's own values
// replace any the backend sent, so the headers always name this hop's decision: a proxy
// behind the backend that saw the `l5d-ctx-dtab` names its own route, which is not the one
// the tester's override chose here.
import type { HeaderMap } from '../http1/head.js'
import { CTX_DTAB_HEADER, USER_DTAB_HEADER } from '../route/index.js'

export const DST_SERVICE = 'l5d-dst-service'
export const DST_CLIENT = 'l5d-dst-client'
export const DST_RESIDUAL = 'l5d-dst-residual'

/** The request carries an override (even an empty one: its sender is asking where it goes). */
export function carriesOverride(headers: HeaderMap): boolean {
  return headers[USER_DTAB_HEADER] !== undefined || headers[CTX_DTAB_HEADER] !== undefined
}

export interface Routed {
  readonly service: string
  readonly client?: string
  readonly residual?: string | undefined
}

/** The headers that say where the request went: the service, and the client once chosen. */
export function routedHeaders(r: Routed): Record<string, string> {
  const out: Record<string, string> = { [DST_SERVICE]: r.service }
  if (r.client !== undefined) out[DST_CLIENT] = r.client
  if (r.residual !== undefined) out[DST_RESIDUAL] = r.residual
  return out
}

/** A response-head hook that replaces the backend's `l5d-dst-*` with where the proxy sent it. */
export function showRouted(r: Routed): (status: number, headers: HeaderMap) => void {
  const own = routedHeaders(r)
  return (status, headers) => {
    // A 1xx is not the answer; the final response carries them.
    if (status < 200 && status !== 101) return
    for (const name of Object.keys(headers)) {
      if (name.startsWith('l5d-dst-')) delete headers[name]
    }
    Object.assign(headers, own)
  }
}
