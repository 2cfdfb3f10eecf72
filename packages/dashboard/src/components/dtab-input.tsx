// The dtab editor's text area: parses on every input with namerd's own parser and, while the
// text does not parse, marks the character where the parser stopped and says why (message,
// line, column). The mark is drawn in a mirror layer behind a transparent textarea, so typing,
// selection, scrolling, undo and screen readers all deal with a plain textarea; the mirror is
// aria-hidden and the message is tied to the textarea by aria-describedby.
import { useEffect, useMemo, useRef } from 'preact/hooks'
import { checkDtab, describeCheck, hintFor } from '../editor/check.js'
import { highlight } from '../editor/highlight.js'

export interface DtabInputProps {
  readonly id: string
  /** The visible label's text. */
  readonly label: string
  readonly value: string
  readonly onInput: (text: string) => void
  /** Told the parse result of every change: null when it parses, else the error. */
  readonly onValidity?: (error: { message: string; offset: number } | null) => void
  readonly disabled?: boolean
  /**
   * Shown, selectable and read by screen readers, but not editable (a read-only session): say
   * why in the element `describedBy` names.
   */
  readonly readOnly?: boolean
  /** The id of an element that describes the box further (e.g. why it is read-only). */
  readonly describedBy?: string
}

/**
 * The box grows with the dtab between these many lines; past that it scrolls inside, so the
 * parser's message and the buttons below it stay in sight on a laptop's screen (style.css also
 * caps it at a share of the window's height).
 */
const MIN_ROWS = 6
const MAX_ROWS = 14

export function DtabInput(props: DtabInputProps) {
  const { id, value } = props
  const check = useMemo(() => checkDtab(value), [value])
  const errorId = `${id}-error`
  const layer = useRef<HTMLDivElement>(null)
  const box = useRef<HTMLTextAreaElement>(null)

  const message = check.ok ? null : check.message
  const offset = check.ok ? -1 : check.offset
  const onValidity = useRef(props.onValidity)
  onValidity.current = props.onValidity
  useEffect(() => {
    onValidity.current?.(message === null ? null : { message, offset })
  }, [message, offset])

  // The mirror follows the textarea's scroll (a transform, so it never needs its own scrollbar).
  const follow = () => {
    const ta = box.current
    const inner = layer.current
    if (ta === null || inner === null) return
    inner.style.transform = `translate(${-ta.scrollLeft}px, ${-ta.scrollTop}px)`
  }
  useEffect(follow, [value])

  const rows = Math.min(MAX_ROWS, Math.max(MIN_ROWS, countLines(value) + 1))
  const marked = check.ok ? null : highlight(value, check.offset)
  const hint = hintFor(check, value)

  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <div class={`dtab-input${check.ok ? '' : ' invalid'}`}>
        <div class="dtab-input-layer" aria-hidden="true">
          <div ref={layer} class="dtab-input-mirror">
            {marked === null ? (
              value
            ) : (
              <>
                {marked.before}
                <mark class="dtab-input-mark">{marked.marked}</mark>
                {marked.after}
              </>
            )}
            {/* A textarea shows a line after a final newline; so must the mirror. */}
            {'\n '}
          </div>
        </div>
        <textarea
          ref={box}
          id={id}
          rows={rows}
          value={value}
          disabled={props.disabled}
          readOnly={props.readOnly}
          wrap="off"
          spellcheck={false}
          autocomplete="off"
          autocapitalize="off"
          aria-invalid={check.ok ? undefined : 'true'}
          aria-describedby={describedBy(check.ok ? undefined : errorId, props.describedBy)}
          onInput={(e) => {
            props.onInput(e.currentTarget.value)
            follow()
          }}
          onScroll={follow}
        />
      </div>
      {check.ok ? null : (
        <p id={errorId} class="dtab-input-error">
          {describeCheck(check, value)}
        </p>
      )}
      {hint === null ? null : <p class="dtab-input-hint">{hint}</p>}
    </div>
  )
}

function describedBy(...ids: (string | undefined)[]): string | undefined {
  const all = ids.filter((id) => id !== undefined && id !== '')
  return all.length === 0 ? undefined : all.join(' ')
}

function countLines(text: string): number {
  let n = 1
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}
