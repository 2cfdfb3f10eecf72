// Short version numbers (`v12`): a form of namerd's ETags people can tell apart and type. The
// ETag stays what goes on the wire; the short form is only printed beside it and read back.
// Decoded from the ETag's bytes (namerd-wire.md §1, packages/store/src/version.ts):
// - 8 bytes whose big-endian value is a plausible counter (1..2^53-1): memory and file stores'
//   counter, namerd inMemory's long. The bound keeps 8 ASCII digits (an etcd revision of
//   10,000,000 or more) from being read as a 3.5e18 counter;
// - otherwise ASCII decimal digits: etcd's revision, Kubernetes' resourceVersion;
// - anything else has no short form, and only the ETag is printed.
import { UsageError } from './errors.js'

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const DIGITS = /^[1-9][0-9]{0,18}$/
const SHORT = /^[vV]([0-9]+)$/

/** How a store's ETags encode their numbers, as far as the ETags seen tell. */
type Encoding = 'counter' | 'digits'

interface Decoded {
  readonly n: bigint
  readonly encoding: Encoding
}

/**
 * An ETag as namerd sent it: without the spaces and the double quotes it may be typed with when
 * copied from an `ETag:` header (`"AAAAAAAAAAI="`), which namerd's If-Match would not match.
 */
export function bareEtag(text: string): string {
  return text.trim().replace(/^"(.*)"$/, '$1')
}

function decode(etag: string): Decoded | null {
  const text = bareEtag(etag)
  if (text === '' || text.length % 4 !== 0 || !BASE64.test(text)) return null
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length === 8) {
    const n = bytes.readBigUInt64BE(0)
    if (n >= 1n && n <= BigInt(Number.MAX_SAFE_INTEGER)) return { n, encoding: 'counter' }
  }
  const ascii = bytes.toString('latin1')
  if (DIGITS.test(ascii)) return { n: BigInt(ascii), encoding: 'digits' }
  return null
}

/** `v12` for an ETag that carries the number 12; null when it carries no number we can read. */
export function shortVersion(etag: string | null | undefined): string | null {
  if (etag === null || etag === undefined) return null
  const d = decode(etag)
  return d === null ? null : `v${d.n}`
}

/**
 * Whether `text` has the form of a namerd ETag: Base64 (as every store writes them), optionally
 * in the double quotes of an HTTP entity tag. `6` or `v 6` is not, and must not be sent as
 * If-Match: namerd would answer 412, which reads as someone else's write.
 */
export function isEtag(text: string): boolean {
  const t = bareEtag(text)
  return t !== '' && t.length % 4 === 0 && BASE64.test(t)
}

/** Whether `text` is a short version (`v12`, `V12`). */
export function isShortVersion(text: string): boolean {
  return SHORT.test(text.trim())
}

/** `v12 (AAAAAAAAAAw=)` for people; the ETag alone when it has no short form. */
export function showVersion(etag: string): string {
  const short = shortVersion(etag)
  return short === null ? etag : `${short} (${etag})`
}

/** A version namerctl has seen: a history entry, or only an ETag (a dtab's current version). */
export type KnownVersion = { readonly version: string; readonly previous?: string | null } | string

/**
 * The ETag a `--to`/`--version` argument means. An ETag is returned bare (`bareEtag`). `vN` is looked up
 * among the versions known (history entries, their `previous`, or plain ETags); if none matches,
 * it is encoded the way those versions are encoded, when they all agree. With nothing to tell
 * the encoding by, `vN` cannot be turned into an ETag: a usage error that says to pass the ETag.
 */
export function parseVersionArg(text: string, history?: readonly KnownVersion[]): string {
  const m = SHORT.exec(text.trim())
  if (m === null) return bareEtag(text)
  const n = BigInt(m[1] ?? '0')
  const etags: string[] = []
  for (const h of history ?? []) {
    if (typeof h === 'string') etags.push(h)
    else {
      etags.push(h.version)
      if (h.previous !== undefined && h.previous !== null) etags.push(h.previous)
    }
  }
  const encodings = new Set<Encoding>()
  for (const etag of etags) {
    const d = decode(etag)
    if (d === null) continue
    if (d.n === n) return etag
    encodings.add(d.encoding)
  }
  if (n >= 1n && encodings.size === 1) {
    const [encoding] = encodings
    if (encoding === 'counter' && n <= BigInt(Number.MAX_SAFE_INTEGER)) {
      const bytes = Buffer.alloc(8)
      bytes.writeBigUInt64BE(n)
      return bytes.toString('base64')
    }
    if (encoding === 'digits') return Buffer.from(n.toString(), 'latin1').toString('base64')
  }
  const known = [...new Set(etags.map((e) => shortVersion(e)).filter((v) => v !== null))]
  if (known.length > 0) {
    // The store's versions are numbered, and none is this one (v0, or a number beyond them).
    throw new UsageError(`there is no version ${text.trim()}`, [
      `the versions known: ${known.join(', ')}`,
      'see them with `namerctl history <ns>`; pass one of them, or its ETag',
    ])
  }
  throw new UsageError(`cannot tell which version ${text} is`, [
    etags.length === 0
      ? 'no versions were known to compare it with;'
      : 'the versions namerd sent carry no number it could be;',
    'pass the ETag instead (the form in parentheses in `namerctl history <ns>`)',
  ])
}
