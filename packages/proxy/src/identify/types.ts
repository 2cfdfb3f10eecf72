// An identifier turns a request into a logical name (Linkerd's `Identifier`, namerd-wire.md
// §5.1): pure, synchronous, and cheap, since it runs for every request.
import type { IncomingHttpHeaders } from 'node:http'
import type { Path } from '@switchyard/dtab'

/** What identifiers read of a request; node's IncomingMessage is one. */
export interface RequestLike {
  readonly method?: string | undefined
  readonly url?: string | undefined
  /** `1.1`, `1.0`. */
  readonly httpVersion?: string | undefined
  readonly headers: IncomingHttpHeaders
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

/** The first value of a header (node joins most repeated headers; a few stay arrays). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}
