// The JSON of a delegation tree, byte for byte as namerd's `delegate` API and Linkerd's
// /delegator.json write it (Jackson, NON_ABSENT): `type` first, then the fields in
// declaration order; the root dentry (Dentry.nop) omitted; weights as Java doubles (`1.0`).

import type { DelegateTree } from './delegate.js'
import { Dentry, Prefix } from './dentry.js'
import { NameTree } from './name-tree.js'
import type { Bound } from './namer.js'
import { Path } from './path.js'
import type { Dentry as DentryT } from './types.js'
import { javaDouble } from './weight.js'

/**
 * Supplies a bound leaf's `addr` as JSON text, written verbatim (the caller owns its number
 * formatting, e.g. Java doubles); undefined leaves the field out.
 */
export type AddrOf = (bound: Bound) => string | undefined

const FAIL_PREFIX = ['$', 'fail']

/**
 * A JSON string as Jackson writes it: JSON.stringify's escapes, except that a control character
 * without a short escape is `\u00XX` in upper-case hex (`\u001F`, where JSON.stringify writes
 * `\u001f`). Only an exception's message can hold one: paths print escaped.
 */
const str = (s: string): string =>
  JSON.stringify(s).replace(/\\(u00[0-9a-f]{2}|.)/g, (whole, code: string) =>
    code.length === 5 ? `\\u00${code.slice(3).toUpperCase()}` : whole,
  )

function dentryJson(d: DentryT): string {
  if (Dentry.equiv(d, Dentry.nop)) return ''
  return `,"dentry":{"prefix":${str(Prefix.show(d.prefix))},"dst":${str(NameTree.show(d.dst))}}`
}

function boundJson(b: Bound, addrOf: AddrOf): string {
  const addr = addrOf(b)
  const addrPart = addr === undefined ? '' : `"addr":${addr},`
  return `{${addrPart}"id":${str(Path.show(b.id))},"path":${str(Path.show(b.residual))}}`
}

export function delegateTreeJson(t: DelegateTree<Bound>, addrOf: AddrOf = () => undefined): string {
  const head = (path: string) => `{"type":"${t.type}","path":${str(path)}${dentryJson(t.dentry)}`
  switch (t.type) {
    case 'exception':
      return `${head(Path.show(t.path))},"message":${str(t.error.message)}}`
    case 'empty':
      return `${head(Path.show(t.path))}}`
    case 'fail':
      return `${head(Path.startsWith(t.path, FAIL_PREFIX) ? Path.show(t.path) : '!')}}`
    case 'neg':
      return `${head(t.path.length === 0 ? '~' : Path.show(t.path))}}`
    case 'delegate':
      return `${head(Path.show(t.path))},"delegate":${delegateTreeJson(t.tree, addrOf)}}`
    case 'leaf':
      return `${head(Path.show(t.path))},"bound":${boundJson(t.value, addrOf)}}`
    case 'alt':
      return `${head(Path.show(t.path))},"alt":[${t.trees.map((m) => delegateTreeJson(m, addrOf)).join(',')}]}`
    case 'union': {
      const members = t.branches.map(
        (b) => `{"weight":${javaDouble(b.weight)},"tree":${delegateTreeJson(b.tree, addrOf)}}`,
      )
      return `${head(Path.show(t.path))},"union":[${members.join(',')}]}`
    }
  }
}
