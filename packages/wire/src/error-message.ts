// How a caught error reads in a log field, an Addr's failed cause, an l5d-err header or a 503
// body: one line that says what happened, whatever was thrown. `err.message` alone is not
// enough: a dual-stack connect (localhost is ::1 and 127.0.0.1) fails with an AggregateError
// whose own message is empty, a socket error may say "socket hang up" and keep ECONNRESET in
// `code`, and a wrapper (fetch's "fetch failed") keeps the reason in `cause`.

/** Node's and undici's codes (ECONNREFUSED, ERR_STREAM_PREMATURE_CLOSE, UND_ERR_SOCKET). Our own typed errors' codes are lowercase and their messages already say them. */
const SYSTEM_CODE = /^[A-Z][A-Z0-9_]*$/

/** Causes followed at most this deep (a cycle of causes ends here too). */
const MAX_DEPTH = 4

export function errorMessage(err: unknown): string {
  return describe(err, 0)
}

function describe(err: unknown, depth: number): string {
  if (!(err instanceof Error)) return thrown(err)
  let text = err.message
  if (text === '' && err instanceof AggregateError && depth < MAX_DEPTH) {
    const inner = err.errors.map((e: unknown) => describe(e, depth + 1)).filter((m) => m !== '')
    text = [...new Set(inner)].join('; ')
  }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && SYSTEM_CODE.test(code) && !text.includes(code)) {
    text = text === '' ? code : `${text} (${code})`
  }
  const cause = (err as { cause?: unknown }).cause
  if (cause !== undefined && cause !== null && depth < MAX_DEPTH) {
    const why = describe(cause, depth + 1)
    const said =
      text.includes(why) ||
      (cause instanceof Error && cause.message !== '' && text.includes(cause.message))
    if (why !== '' && !said) {
      // A message that ends in a colon announced its reason: the cause is that reason.
      const own = text.replace(/[\s:]+$/, '')
      text = own === '' ? why : `${own}: ${why}`
    }
  }
  return text === '' ? err.name : text
}

/** Something thrown that is not an Error: a string as it is, an object by its message or its JSON. */
function thrown(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'object' && value !== null) {
    const message = (value as { message?: unknown }).message
    if (typeof message === 'string' && message !== '') return message
    try {
      const json = JSON.stringify(value)
      if (json !== undefined) return json
    } catch {
      // A cycle or a BigInt: String() below.
    }
  }
  return String(value)
}
