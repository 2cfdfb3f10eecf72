// A one-line field for a name or a path, checked as it is typed: its label, a monospaced input
// the browser does not autocomplete or spell-check, and, while the text is refused, the reason
// beside it, tied to the input (aria-invalid, aria-describedby `<id>-error`, as DtabInput does)
// so a screen reader says why. The delegator's Path and the create form's Name use it.
import type { Ref } from 'preact'

export interface TextFieldProps {
  readonly id: string
  readonly label: string
  readonly value: string
  readonly onInput: (value: string) => void
  /** Why the text is refused, shown and tied to the input; null: nothing to say (yet). */
  readonly error: string | null
  readonly inputRef?: Ref<HTMLInputElement>
  readonly placeholder?: string
  readonly disabled?: boolean
}

export function TextField(props: TextFieldProps) {
  const { id, error } = props
  const errorId = `${id}-error`
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        ref={props.inputRef}
        class="mono"
        value={props.value}
        placeholder={props.placeholder}
        autocomplete="off"
        spellcheck={false}
        disabled={props.disabled}
        aria-invalid={error === null ? undefined : 'true'}
        aria-describedby={error === null ? undefined : errorId}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {error === null ? null : (
        <span id={errorId} class="bad">
          {error}
        </span>
      )}
    </div>
  )
}
