// Asks for namerd's bearer token: when a read needs one, when a token was refused, or when the
// user wants to write. The token is kept for this tab's session only (api/token.ts).
import { useEffect, useRef, useState } from 'preact/hooks'

export function TokenForm(props: {
  why: string
  onToken: (token: string) => void
  onCancel: () => void
}) {
  const [value, setValue] = useState('')
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => input.current?.focus(), [])
  return (
    <form
      class="token-form"
      aria-labelledby="token-title"
      onSubmit={(e) => {
        e.preventDefault()
        if (value.trim() !== '') props.onToken(value.trim())
      }}
    >
      <h2 id="token-title">namerd token</h2>
      <p>{props.why}</p>
      <div class="field">
        <label for="token">Token (kept for this browser tab only)</label>
        <input
          id="token"
          ref={input}
          type="password"
          autoComplete="off"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </div>
      <div class="buttons">
        <button type="submit" class="primary">
          Use this token
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
