// io.l5d.static: every request gets the same name, `<dstPrefix>` ++ `path`.
import { Path } from '@switchyard/dtab'
import type { Identified, Identifier } from './types.js'

export function staticIdentifier(dstPrefix: Path, path: Path): Identifier {
  const result: Identified = { ok: true, dst: Path.concat(dstPrefix, path) }
  return () => result
}
