// An identifier turns a request into a logical name (Linkerd's `Identifier`, namerd-wire.md
// §5.1): pure, synchronous, and cheap, since it runs for every request.
import type { Path } from '@switchyard/dtab'
import type { HeaderMap } from '../http1/head.js'

/** What identifiers read of a request: the proxy's Transaction (http1/server.ts). */
export interface RequestLike {
  readonly method?: string | undefined
  readonly url?: string | undefined
  /** `1.1`, `1.0`. */
  readonly httpVersion?: string | undefined
  readonly headers: HeaderMap
}

export type Identified =
  | {
      readonly ok: true
      readonly dst: Path
      /** The URL to forward instead of the request's (io.l5d.path with `consume`). */
      readonly rewrittenUrl?: string
    }
  | { readonly ok: false; readonly reason: string }

export type Identifier = (req: RequestLike) => Identified

export const unidentified = (reason: string): Identified => ({ ok: false, reason })

/** The first value of a header (a repeated one is an array). */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}
