// io.l5d.header: the header's value (default `l5d-name`) is a path, `<dstPrefix>` ++ it.
import { Path } from '@switchyard/dtab'
import { BoundedCache } from './bounded-cache.js'
import { headerValue, type Identified, type Identifier, unidentified } from './types.js'

export interface HeaderPathOptions {
  /** Default `l5d-name`. */
  readonly header?: string
  readonly cacheSize?: number
}

export function headerPathIdentifier(dstPrefix: Path, options: HeaderPathOptions = {}): Identifier {
  const header = options.header ?? 'l5d-name'
  const name = header.toLowerCase()
  const missing = unidentified(`no ${header} header`)
  const cache = new BoundedCache<string, Identified>(options.cacheSize ?? 1024)
  const identify = (value: string): Identified => {
    try {
      return { ok: true, dst: Path.concat(dstPrefix, Path.read(value)) }
    } catch (err) {
      return unidentified(
        `${header} is not a path: ${err instanceof Error ? err.message : String(err)}`,
      )
    }
  }
  return (req) => {
    const value = headerValue(req.headers, name)
    if (value === undefined || value === '') return missing
    return cache.get(value) ?? cache.set(value, identify(value))
  }
}
