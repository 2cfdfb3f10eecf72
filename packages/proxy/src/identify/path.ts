// io.l5d.path: `<dstPrefix>/<first N segments of the URI path>` (raw, as sent). With `consume`
// those segments are removed from the URL forwarded, the rest and the query kept.
import { Path } from '@switchyard/dtab'
import type { Identifier } from './types.js'
import { unidentified } from './types.js'

export interface PathIdentifierOptions {
  /** Default 1. */
  readonly segments?: number
  readonly consume?: boolean
}

export function pathIdentifier(dstPrefix: Path, options: PathIdentifierOptions = {}): Identifier {
  const n = options.segments ?? 1
  const consume = options.consume ?? false
  const tooShort = unidentified(`the request path has fewer than ${n} segment${n === 1 ? '' : 's'}`)
  return (req) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const parts = path.split('/') // ['', a, b, ...]
    if (parts.length - 1 < n) return tooShort
    const taken = parts.slice(1, n + 1)
    if (taken.some((s) => s === '')) return tooShort
    const dst = Path.concat(dstPrefix, taken)
    if (!consume) return { ok: true, dst }
    const rest = parts.slice(n + 1).join('/')
    return { ok: true, dst, rewrittenUrl: `/${rest}${q === -1 ? '' : url.slice(q)}` }
  }
}
