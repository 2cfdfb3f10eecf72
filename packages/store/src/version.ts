// Versions are opaque byte strings to callers. namerd sends them as ETags (standard Base64 with
// padding, unquoted) and reads If-Match with Java's lenient MIME decoder. Each backend has its own
// encoding: an 8-byte big-endian counter (memory, file; namerd's inMemory) or the UTF-8 decimal
// of a revision (etcd; namerd's etcd store).

/** The ETag namerd sends for a version: standard Base64 with padding, not quoted. */
export function versionToETag(version: Uint8Array): string {
  return Buffer.from(version.buffer, version.byteOffset, version.byteLength).toString('base64')
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const PAD = 61 // '='
const SIXBITS: Int8Array = (() => {
  const table = new Int8Array(256).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

/**
 * Reads an If-Match value the way namerd does (java.util.Base64's MIME decoder): characters
 * outside the Base64 alphabet are skipped, so a quoted ETag still matches. Never throws: where
 * Java would throw (a dangling character, a misplaced `=`), the result is an empty array, which
 * matches no version, so the write is refused as a version mismatch.
 */
export function versionFromIfMatch(header: string): Uint8Array {
  const out: number[] = []
  let bits = 0
  let shift = 18
  let i = 0
  while (i < header.length) {
    const c = header.charCodeAt(i++)
    const b = c < 256 ? SIXBITS[c]! : -1
    if (b < 0) {
      if (c === PAD) {
        // '=' ends the data: valid after two characters of a unit ("xx==") or three ("xxx=").
        if (
          (shift === 6 && (i === header.length || header.charCodeAt(i++) !== PAD)) ||
          shift === 18
        )
          return new Uint8Array(0)
        break
      }
      continue
    }
    bits |= b << shift
    shift -= 6
    if (shift < 0) {
      out.push((bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff)
      shift = 18
      bits = 0
    }
  }
  if (shift === 6) out.push((bits >> 16) & 0xff)
  else if (shift === 0) out.push((bits >> 16) & 0xff, (bits >> 8) & 0xff)
  else if (shift === 12) return new Uint8Array(0) // one dangling character
  // After padding, only characters outside the alphabet may follow.
  while (i < header.length) {
    const c = header.charCodeAt(i++)
    if (c < 256 && SIXBITS[c]! >= 0) return new Uint8Array(0)
  }
  return Uint8Array.from(out)
}

export function versionsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** namerd inMemory's version: the counter as an 8-byte big-endian long (1 is `AAAAAAAAAAE=`). */
export function counterVersion(n: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n))
  return out
}

/** The counter in a version made by counterVersion; null for anything else. */
export function versionCounter(version: Uint8Array): number | null {
  if (version.length !== 8) return null
  const n = new DataView(version.buffer, version.byteOffset, 8).getBigUint64(0)
  return n >= 1n && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null
}

/** namerd's etcd version: the revision's decimal digits as UTF-8 (42 is `NDI=`). */
export function revisionVersion(revision: string | number | bigint): Uint8Array {
  return new TextEncoder().encode(BigInt(revision).toString())
}

/** The revision in a version made by revisionVersion; null if it is not a positive decimal. */
export function versionRevision(version: Uint8Array): bigint | null {
  const text = new TextDecoder().decode(version)
  return /^[1-9][0-9]{0,18}$/.test(text) ? BigInt(text) : null
}
