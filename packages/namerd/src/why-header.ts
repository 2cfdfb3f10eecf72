// `l5d-why: <text>` on a dtab write (PUT/POST/DELETE /api/1/dtabs/<ns>, POST .../restore): why
// the change was made, recorded as its history entry's `why` beside `who`, as a rollout's own
// writes are. The dashboard sends it for a rollback ("rollback to v7 (dashboard)") and for an
// edit with a reason; curl and pipelines may send it too.
import type { FastifyRequest } from 'fastify'
import { ApiError } from './errors.js'

export const WHY_HEADER = 'l5d-why'

/** At most this many characters (code points) once decoded: a sentence, not a document. */
export const WHY_MAX_CHARS = 512

// Control characters (tab, newlines, ESC, C1) would break a history line or a terminal that
// prints it (namerctl history); line and paragraph separators too. A why is one printable line.
const UNPRINTABLE = /[\p{Cc}\u2028\u2029]/u

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The `l5d-why` of a write, or undefined when none came (or it is blank). HTTP carries header
 * values as bytes, which node hands over one char per byte: they are read back as UTF-8, so
 * `curl -H 'l5d-why: réglage'` is recorded as written (a browser sends UTF-8 bytes the same way,
 * see the dashboard's whyHeaderValue). Bytes that are not UTF-8, a control character, or more
 * than 512 characters: a 400 naming the problem, and nothing is written.
 */
export function whyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers[WHY_HEADER]
  if (raw === undefined) return undefined
  // node joins repeated unknown headers with ", ", which would record two reasons as one
  // ("a, b"): a write gives one reason, so a second header is refused, as a second value of any
  // single-valued input is. rawHeaders keeps each line (names as sent: compare without case).
  const { rawHeaders } = req.raw
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === WHY_HEADER) count++
  if (count > 1 || Array.isArray(raw)) {
    throw new ApiError(
      400,
      'invalid_parameter',
      `header ${WHY_HEADER} was sent ${count} times: send one ${WHY_HEADER} header with one reason; nothing was written`,
    )
  }
  const joined = raw
  let text: string
  try {
    text = strictUtf8.decode(Buffer.from(joined, 'latin1'))
  } catch {
    throw new ApiError(
      400,
      'invalid_parameter',
      `header ${WHY_HEADER} is not UTF-8 text: send the reason as UTF-8 (at most ${WHY_MAX_CHARS} characters)`,
    )
  }
  text = text.trim()
  if (text === '') return undefined
  const bad = UNPRINTABLE.exec(text)
  if (bad !== null) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
    throw new ApiError(
      400,
      'invalid_parameter',
      `header ${WHY_HEADER} has a control character (U+${code}) at character ${[...text.slice(0, bad.index)].length + 1}: a reason is one line of printable text`,
    )
  }
  const length = [...text].length
  if (length > WHY_MAX_CHARS) {
    throw new ApiError(
      400,
      'invalid_parameter',
      `header ${WHY_HEADER} is ${length} characters long; at most ${WHY_MAX_CHARS} are kept in history: shorten the reason`,
    )
  }
  return text
}
