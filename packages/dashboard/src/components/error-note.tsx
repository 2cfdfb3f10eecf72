// A failure, said where it happened: namerd's message (and code), in an alert region so a screen
// reader announces it. `null` shows nothing, so a view can always render it.
import { ApiError } from '../api/errors.js'

export function ErrorNote({ error, what }: { error: Error | null; what?: string }) {
  if (error === null) return null
  // A refused token is said once, by the token form every 401 opens (api/client.ts
  // onUnauthorized) and the header's "token refused", not again by every view (audit16b L4).
  if (isTokenRefused(error)) return null
  const code = error instanceof ApiError ? error.code : null
  return (
    <p class="error" role="alert">
      {what === undefined ? null : <strong>{what}: </strong>}
      {error.message}
      {code === null || error.message.includes(code) ? null : <span class="code"> ({code})</span>}
    </p>
  )
}

/** A 401: namerd refused the token given (or wants one). */
export function isTokenRefused(error: Error): boolean {
  return error instanceof ApiError && error.status === 401
}
