// Short version numbers (`v12`) for people, decoded from namerd's ETags by the same rules as
// namerctl's short-version.ts, so the page and the CLI name a version alike: 8 bytes holding a
// plausible counter (memory and file stores), or ASCII digits (etcd's revision, Kubernetes'
// resourceVersion). Anything else has no short form and is shown by its ETag. Pure: no DOM, no
// Buffer (atob exists in browsers and in node).
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const DIGITS = /^[1-9][0-9]{0,18}$/

function bytesOf(etag: string): number[] | null {
  const text = etag.trim().replace(/^"(.*)"$/, '$1')
  if (text === '' || text.length % 4 !== 0 || !BASE64.test(text)) return null
  try {
    return Array.from(atob(text), (c) => c.charCodeAt(0))
  } catch {
    return null
  }
}

/** `v12` for an ETag that carries the number 12; null when it carries no number we can read. */
export function shortVersion(etag: string | null | undefined): string | null {
  if (etag === null || etag === undefined) return null
  const bytes = bytesOf(etag)
  if (bytes === null) return null
  if (bytes.length === 8) {
    let n = 0n
    for (const b of bytes) n = (n << 8n) | BigInt(b)
    if (n >= 1n && n <= BigInt(Number.MAX_SAFE_INTEGER)) return `v${n}`
  }
  const ascii = String.fromCharCode(...bytes)
  return DIGITS.test(ascii) ? `v${BigInt(ascii)}` : null
}

/** What a version is called on the page: its short form, else the ETag (cut when long). */
export function versionName(etag: string): string {
  const short = shortVersion(etag)
  if (short !== null) return short
  return etag.length > 16 ? `${etag.slice(0, 12)}…` : etag
}
