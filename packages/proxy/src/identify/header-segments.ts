// h2's io.l5d.header.path (Linkerd's H2 identifier): the value of a header, `:path` by default,
// read as a URI path (the query dropped), `<dstPrefix>` ++ its first `segments` segments, or
// all of them. With segments: 1, a gRPC call `/pkg.Greeter/SayHello` names `/svc/pkg.Greeter`.
import { Path } from '@switchyard/dtab'
import { BoundedCache } from './bounded-cache.js'
import { headerValue, type Identified, type Identifier, unidentified } from './types.js'

export interface HeaderSegmentsOptions {
  /** Default `:path`. */
  readonly header?: string | undefined
  /** Default: every segment. */
  readonly segments?: number | undefined
  readonly cacheSize?: number
}

export function headerSegmentsIdentifier(
  dstPrefix: Path,
  options: HeaderSegmentsOptions = {},
): Identifier {
  const header = options.header ?? ':path'
  const name = header.toLowerCase()
  const n = options.segments
  const missing = unidentified(`no ${header} header`)
  const cache = new BoundedCache<string, Identified>(options.cacheSize ?? 1024)
  const identify = (value: string): Identified => {
    const q = value.indexOf('?')
    const path = q === -1 ? value : value.slice(0, q)
    if (!path.startsWith('/'))
      return unidentified(`${header} is not a path: ${JSON.stringify(value.slice(0, 80))}`)
    const parts = path.slice(1).split('/')
    const taken = n === undefined ? parts.filter((p) => p !== '') : parts.slice(0, n)
    if (
      (n !== undefined && taken.length < n) ||
      taken.some((p) => p === '') ||
      taken.length === 0
    ) {
      return unidentified(
        `${header} has fewer than ${n ?? 1} segment${(n ?? 1) === 1 ? '' : 's'}: ${JSON.stringify(value.slice(0, 80))}`,
      )
    }
    return { ok: true, dst: Path.concat(dstPrefix, taken) }
  }
  return (req) => {
    // On h2 the identifier sees `:path`; an http router's request has it as its URL.
    const value =
      name === ':path'
        ? (headerValue(req.headers, name) ?? req.url)
        : headerValue(req.headers, name)
    if (value === undefined || value === '') return missing
    return cache.get(value) ?? cache.set(value, identify(value))
  }
}
