// namerctl's two text forms of a dtab (namerd-wire.md §2.2): `Pretty`, one aligned dentry per
// line ending ` ;`, and the compact `p=>d;p=>d;`. Both use the prefix and dst as namerd sent
// them (its printed form), so `get` output is what namerctl showed.
import type { DentryJson } from './schemas.js'

/** `"%s  %*s %s ;\n"`: the prefix, two spaces, `=>` right-aligned under the longest prefix. */
export function prettyDtab(dtab: readonly DentryJson[]): string {
  const width = Math.max(0, ...dtab.map((d) => byteLength(d.prefix)))
  return dtab
    .map((d) => `${d.prefix}  ${' '.repeat(width - byteLength(d.prefix))}=> ${d.dst} ;\n`)
    .join('')
}

export function compactDtab(dtab: readonly DentryJson[]): string {
  return dtab.map((d) => `${d.prefix}=>${d.dst};`).join('')
}

// Go's len() counts bytes; printed prefixes are ASCII (other bytes print as \xNN), but be exact.
function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}
