// A configured namer's mount point: Linkerd's `/#` ++ the `prefix` key (`/io.l5d.fs` by default).
import { Path } from '@switchyard/dtab'

/** The element that marks configured namers, as in `/#/io.l5d.fs`. */
export const CONFIGURED_NAMER = '#'

/**
 * `/#/<prefix>` from a config's prefix, written as a path (`/io.l5d.fs`, `/disco/east`) or as a
 * bare name (`io.l5d.fs`). Throws (with the dtab parser's message) on a bad or empty path.
 */
export function namerPrefix(prefix: string): Path {
  const path = Path.read(prefix.startsWith('/') ? prefix : `/${prefix}`)
  if (path.length === 0) throw new Error('namer prefix must not be empty')
  return Path.concat([CONFIGURED_NAMER], path)
}
