// The `l5d-why` header a dashboard write carries (namerd records it as the history entry's why).
// A header value is bytes, and fetch refuses characters above U+00FF in it, so the reason's
// UTF-8 bytes travel one char per byte; namerd reads them back as UTF-8 (why-header.ts there).
// Pure: tested under node (test/history-changes.test.ts). The dtab editor may use it too.

export const WHY_HEADER = 'l5d-why'
/** namerd keeps at most 512 characters; a longer reason is refused (400), so it is cut here. */
export const WHY_MAX_CHARS = 512

/**
 * A reason as one printable line namerd accepts: control characters become spaces, blanks are
 * squeezed and trimmed, a lone surrogate (not UTF-8) becomes U+FFFD, at most 512 characters.
 */
export function cleanWhy(text: string): string {
  const line = text
    .replace(/\p{Cs}/gu, '\uFFFD')
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return [...line].slice(0, WHY_MAX_CHARS).join('').trim()
}

/** The header value for `why` (UTF-8 bytes as a byte string); null when there is no reason. */
export function whyHeaderValue(why: string): string | null {
  const clean = cleanWhy(why)
  if (clean === '') return null
  let out = ''
  for (const b of new TextEncoder().encode(clean)) out += String.fromCharCode(b)
  return out
}

/** The headers to send for `why` (none when blank). */
export function whyHeaders(why: string): Record<string, string> {
  const value = whyHeaderValue(why)
  return value === null ? {} : { [WHY_HEADER]: value }
}

/** The why of a dashboard rollback: `rollback to v7 (dashboard)`, then the user's reason. */
export function rollbackWhy(versionName: string, reason: string): string {
  const r = cleanWhy(reason)
  return `rollback to ${versionName} (dashboard)${r === '' ? '' : `: ${r}`}`
}
