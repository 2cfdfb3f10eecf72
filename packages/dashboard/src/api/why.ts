// The reason a dashboard write carries as namerd's `l5d-why` header (recorded as the history
// entry's why): the dtab editor's Save and the history's rollback. namerd refuses (400) a reason
// with a control character or past 512 characters. A fetch header value is bytes (it refuses
// characters above U+00FF), so the reason travels as its UTF-8 bytes one char each, which namerd
// reads back as UTF-8 (why-header.ts there). Pure: tested under node (test/editor-review.test.ts,
// test/history-changes.test.ts).

export const WHY_HEADER = 'l5d-why'
/** namerd keeps at most 512 characters; a longer reason is refused (400). */
export const WHY_MAX_CHARS = 512

const UNPRINTABLE = /[\p{Cc}\u2028\u2029]/u

/** What is wrong with a typed reason, in words, or null when namerd takes it (blank: none sent). */
export function whyProblem(why: string): string | null {
  const text = why.trim()
  const bad = UNPRINTABLE.exec(text)
  if (bad !== null) return 'A reason is one line of printable text: remove the line break or tab.'
  const length = [...text].length
  if (length > WHY_MAX_CHARS) {
    return `The reason is ${length} characters long; namerd keeps at most ${WHY_MAX_CHARS}: shorten it.`
  }
  return null
}

/**
 * A reason made into one printable line namerd accepts: control characters become spaces, blanks
 * are squeezed and trimmed, a lone surrogate (not UTF-8) becomes U+FFFD, at most 512 characters.
 */
export function cleanWhy(text: string): string {
  const line = text
    .replace(/\p{Cs}/gu, '\uFFFD')
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return [...line].slice(0, WHY_MAX_CHARS).join('').trim()
}

/**
 * The header value for `why`, trimmed, as UTF-8 bytes in a byte string; null when it is blank.
 * It is sent as it is otherwise: check it with whyProblem or make it with cleanWhy first.
 */
export function whyHeaderValue(why: string): string | null {
  const text = why.trim()
  if (text === '') return null
  let out = ''
  for (const b of new TextEncoder().encode(text)) out += String.fromCharCode(b)
  return out
}

/** The headers to send for `why` (none when it is blank). */
export function whyHeaders(why: string): Record<string, string> {
  const value = whyHeaderValue(why)
  return value === null ? {} : { [WHY_HEADER]: value }
}
