// The dtab editor's text area. STUB: a plain textarea until the editor lands (parse as you type,
// the error underlined at its offset). Its props are the contract the views use.
export interface DtabInputProps {
  readonly id: string
  /** The visible label's text. */
  readonly label: string
  readonly value: string
  readonly onInput: (text: string) => void
  /** Told the parse result of every change: null when it parses, else the error. */
  readonly onValidity?: (error: { message: string; offset: number } | null) => void
  readonly disabled?: boolean
}

export function DtabInput(props: DtabInputProps) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <textarea
        id={props.id}
        value={props.value}
        disabled={props.disabled}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        spellcheck={false}
      />
    </div>
  )
}
