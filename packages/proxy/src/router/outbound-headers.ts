// The headers a request leaves with. Linkerd 1's rules (namerd-wire.md §4): the overrides it
// arrived with are folded into one `l5d-ctx-dtab`; `l5d-dtab` never travels on; the proxy adds
// which name it routed (`l5d-dst-service`), where it went (`l5d-dst-client`, and
// `l5d-dst-residual` when there is one) and a request id for the application's logs.
import { isTrailers } from '../forward/hop-by-hop.js'
import { type HeaderMap, newHeaderMap } from '../http1/head.js'
import { connectionTokens, HEADER_ROLES } from '../http1/header-roles.js'

export interface Destination {
  readonly service: string
  readonly client: string
  readonly residual: string | undefined
  /** `Dtab.show` of ctx ++ user overrides, or '' when there are none. */
  readonly ctxDtab: string
  readonly reqId: string
}

/**
 * The request's headers by their role (http1/header-roles.ts): those the proxy replaces and
 * the framing (forward.ts requestHead writes its own) are left out, and so are hop-by-hop
 * ones (the forwarding layer strips them again for any caller): building the object without
 * them is cheaper than deleting from it. Then the proxy's own.
 */
export function outboundHeaders(inbound: HeaderMap, dst: Destination, upgrade = false): HeaderMap {
  const out = newHeaderMap()
  const connection = inbound.connection
  const named = connection === undefined ? undefined : connectionTokens(connection).named
  for (const name in inbound) {
    const value = inbound[name]
    if (value === undefined) continue
    const role = HEADER_ROLES.get(name)
    if (role !== undefined) {
      if (role !== 'drop') continue
      // Connection and Upgrade go on with an upgrade request; TE only as `trailers`.
      if (name === 'connection' || name === 'upgrade') {
        if (!upgrade) continue
      } else if (!(name === 'te' && isTrailers(value))) continue
    }
    if (named?.includes(name) && name !== 'upgrade' && name !== 'connection') continue
    out[name] = value
  }
  addDestination(out, inbound.via, dst, VIA)
  return out
}

/**
 * The proxy's own headers on a request it forwards, the same for every protocol: the folded
 * overrides, where it went, a request id, and this hop (`via`, the protocol's token) on `Via`.
 */
export function addDestination(
  out: Record<string, string | string[] | number | undefined>,
  via: string | string[] | undefined,
  dst: Destination,
  hop: string,
): void {
  if (dst.ctxDtab !== '') out['l5d-ctx-dtab'] = dst.ctxDtab
  out['l5d-dst-service'] = dst.service
  out['l5d-dst-client'] = dst.client
  if (dst.residual !== undefined) out['l5d-dst-residual'] = dst.residual
  out['l5d-reqid'] = dst.reqId
  out.via = via === undefined ? hop : `${Array.isArray(via) ? via.join(', ') : via}, ${hop}`
}

export const VIA = '1.1 switchyard'

/** Hops already taken, from `Via` (comma-separated entries), for loop detection. */
export function callDepth(via: string | string[] | undefined): number {
  if (via === undefined) return 0
  const text = Array.isArray(via) ? via.join(',') : via
  let n = 1
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 44) n++
  return n
}

/** Strips every `l5d-*` header, for servers with clearContext. */
export function clearL5d(headers: Record<string, unknown>): void {
  for (const name of Object.keys(headers)) {
    if (name.length > 4 && name.toLowerCase().startsWith('l5d-')) delete headers[name]
  }
}

let seq = 0
const prefix = Math.floor(Math.random() * 0xffffffff)
  .toString(16)
  .padStart(8, '0')

/** 16 hex characters, like Linkerd's trace id: a random per-process prefix and a counter. */
export function nextRequestId(): string {
  seq = (seq + 1) >>> 0
  return prefix + seq.toString(16).padStart(8, '0')
}
