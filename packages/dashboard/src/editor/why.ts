// The optional reason of a save, sent as namerd's `l5d-why` header and recorded as the history
// entry's why. namerd refuses (400) a reason with a control character or past 512 characters;
// the page says so before sending. A fetch header value must be bytes (ISO-8859-1 chars), so the
// reason goes as its UTF-8 bytes one char each, which namerd reads back as UTF-8.
export const WHY_MAX_CHARS = 512

const UNPRINTABLE = /[\p{Cc}\u2028\u2029]/u

/** What is wrong with a reason, in words, or null when namerd takes it (blank: none sent). */
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

/** The headers carrying `why`: none when it is blank. */
export function whyHeaders(why: string): Record<string, string> {
  const text = why.trim()
  if (text === '') return {}
  return { 'l5d-why': String.fromCharCode(...new TextEncoder().encode(text)) }
}
