// io.l5d.methodAndHost: HTTP/1.1 gives `<dstPrefix>/1.1/<METHOD>/<host lower-cased>`, HTTP/1.0
// `<dstPrefix>/1.0/<METHOD>` (1.0 has no Host to rely on); with `httpUriInDst` the URI path's
// segments follow (raw, empty ones skipped, the query left out). A 1.1 request without Host
// is unidentified.
import { Path } from '@switchyard/dtab'
import { BoundedCache } from './bounded-cache.js'
import { headerValue, type Identified, type Identifier, unidentified } from './types.js'

export interface MethodAndHostOptions {
  readonly httpUriInDst?: boolean
  readonly cacheSize?: number
}

/** The URI path's non-empty segments (up to `?`), as sent. */
export function uriSegments(url: string): string[] {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  return path.split('/').filter((s) => s !== '')
}

export function methodAndHostIdentifier(
  dstPrefix: Path,
  options: MethodAndHostOptions = {},
): Identifier {
  const uris = options.httpUriInDst ?? false
  const noHost = unidentified('no Host header in an HTTP/1.1 request')
  // Without URIs the answer depends on (version, method, host) only: cache it.
  const cache = new BoundedCache<string, Identified>(options.cacheSize ?? 1024)
  return (req) => {
    const version = req.httpVersion ?? '1.1'
    const method = req.method ?? 'GET'
    let base: Path
    if (version === '1.0') {
      base = [version, method]
    } else if (version === '1.1') {
      const host = headerValue(req.headers, 'host')
      if (host === undefined || host === '') return noHost
      base = [version, method, host.toLowerCase()]
    } else {
      return unidentified(`HTTP/${version} is not supported by io.l5d.methodAndHost`)
    }
    if (uris)
      return { ok: true, dst: Path.concat(dstPrefix, [...base, ...uriSegments(req.url ?? '/')]) }
    const key = base.join(' ')
    return cache.get(key) ?? cache.set(key, { ok: true, dst: Path.concat(dstPrefix, base) })
  }
}
