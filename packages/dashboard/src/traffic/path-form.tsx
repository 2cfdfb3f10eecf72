// The form that adds a service to the view: a path checked with namerd's own parser as it is
// submitted, the reason shown beside the field (and tied to it for screen readers) when it is not
// a path, so nothing is asked of namerd that it would refuse.
import { useState } from 'preact/hooks'
import { checkPath } from './paths.js'

export function PathForm({ onShow }: { onShow: (path: string) => string | null }) {
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const submit = (e: Event) => {
    e.preventDefault()
    const c = checkPath(text)
    if (!c.ok) {
      setError(c.message)
      return
    }
    const refused = onShow(c.path)
    setError(refused)
    if (refused === null) setText('')
  }
  return (
    <form class="traffic-form" onSubmit={submit}>
      <div class="field">
        <label for="traffic-path">Service path</label>
        <input
          id="traffic-path"
          name="path"
          class="mono"
          placeholder="/svc/world"
          autocomplete="off"
          spellcheck={false}
          value={text}
          aria-invalid={error === null ? undefined : 'true'}
          aria-describedby={error === null ? undefined : 'traffic-path-error'}
          onInput={(e) => {
            setText(e.currentTarget.value)
            setError(null)
          }}
        />
      </div>
      <button type="submit">Show</button>
      {error === null ? null : (
        <p id="traffic-path-error" class="error">
          {error}
        </p>
      )}
    </form>
  )
}
