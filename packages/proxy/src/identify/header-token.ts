// io.l5d.header.token (Linkerd's default HTTP identifier): `<dstPrefix>/<header value>`, the
// value as ONE element, raw: not lower-cased, a `:port` kept. Node hands header values over
// as latin1, one char per byte, which is exactly a path element's byte string.
import { Path } from '@switchyard/dtab'
import { BoundedCache } from './bounded-cache.js'
import { headerValue, type Identified, type Identifier, unidentified } from './types.js'

export interface HeaderTokenOptions {
  /** Default `Host`. */
  readonly header?: string
  readonly cacheSize?: number
}

export function headerTokenIdentifier(
  dstPrefix: Path,
  options: HeaderTokenOptions = {},
): Identifier {
  const header = options.header ?? 'Host'
  const name = header.toLowerCase()
  const missing = unidentified(`no ${header} header`)
  const cache = new BoundedCache<string, Identified>(options.cacheSize ?? 1024)
  return (req) => {
    const value = headerValue(req.headers, name)
    if (value === undefined || value === '') return missing
    return cache.get(value) ?? cache.set(value, { ok: true, dst: Path.concat(dstPrefix, [value]) })
  }
}
