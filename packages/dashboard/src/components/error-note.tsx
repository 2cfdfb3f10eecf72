// A failure, said where it happened: namerd's message (and code), in an alert region so a screen
// reader announces it. `null` shows nothing, so a view can always render it.
import { ApiError } from '../api/errors.js'

export function ErrorNote({ error, what }: { error: Error | null; what?: string }) {
  if (error === null) return null
  const code = error instanceof ApiError ? error.code : null
  return (
    <p class="error" role="alert">
      {what === undefined ? null : <strong>{what}: </strong>}
      {error.message}
      {code === null || error.message.includes(code) ? null : <span class="code"> ({code})</span>}
    </p>
  )
}
