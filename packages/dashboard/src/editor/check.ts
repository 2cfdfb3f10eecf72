// Parse as you type: the editor's text read by the same parser namerd runs (Dtab.read), so the
// message and the offset shown are the ones a save would be refused with. Pure: no DOM, so the
// page and node tests share it.
import { Dtab, DtabParseError } from '@switchyard/dtab'
import { lineColumn } from './position.js'

export type DtabCheck =
  | { readonly ok: true; readonly dtab: Dtab; readonly canonical: string }
  | {
      readonly ok: false
      /** The parser's message, as namerd answers it. */
      readonly message: string
      /** Where parsing stopped, in UTF-16 code units (the textarea's own unit). */
      readonly offset: number
      /** 1-based, for people. */
      readonly line: number
      /** 1-based, counted in characters (code points), not code units. */
      readonly column: number
    }

// The last few texts checked: a render asks about the same text several times (the box, Save,
// the review, whether it is edited), so a keystroke costs one parse, not five.
const recent = new Map<string, DtabCheck>()
const RECENT = 4

export function checkDtab(text: string): DtabCheck {
  const known = recent.get(text)
  if (known !== undefined) return known
  const check = parse(text)
  if (recent.size >= RECENT) recent.delete(recent.keys().next().value as string)
  recent.set(text, check)
  return check
}

function parse(text: string): DtabCheck {
  try {
    const dtab = Dtab.read(text)
    return { ok: true, dtab, canonical: Dtab.show(dtab) }
  } catch (err) {
    if (!(err instanceof DtabParseError)) throw err
    const offset = Math.max(0, Math.min(err.offset, text.length))
    const { line, column } = lineColumn(text, offset)
    return { ok: false, message: err.message, offset, line, column }
  }
}

/**
 * The error as the page says it: the parser's message and where. Finagle's message quotes the
 * whole input with the character marked (`... found at '/a => [>] /b'`); for a dtab of many
 * lines that is the whole dtab again, so the quote is cut to the line that holds the mark.
 */
export function describeCheck(check: Extract<DtabCheck, { ok: false }>, text: string): string {
  return `${shortenQuote(check.message, text, check.offset)} (line ${check.line}, column ${check.column})`
}

function shortenQuote(message: string, text: string, offset: number): string {
  if (!/[\r\n]/.test(text)) return message
  const marked =
    offset >= text.length
      ? `${text}[]`
      : `${text.slice(0, offset)}[${text.charAt(offset)}]${text.slice(offset + 1)}`
  const quote = ` at '${marked}'`
  if (!message.endsWith(quote)) return message
  const start = Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1
  const ends = [text.indexOf('\n', offset), text.indexOf('\r', offset)].filter((i) => i !== -1)
  const end = ends.length === 0 ? text.length : Math.min(...ends)
  // At a line break the mark is empty, as Finagle shows the end of its input.
  const at = offset === end ? '[]' : `[${text.charAt(offset)}]`
  const line = `${text.slice(start, offset)}${at}${text.slice(offset === end ? end : offset + 1, end)}`
  return `${message.slice(0, -quote.length)} at '${line}'`
}

/** The stored form of `text` (`Dtab.show`), or null when it does not parse. */
export function canonical(text: string): string | null {
  const check = checkDtab(text)
  return check.ok ? check.canonical : null
}

/**
 * A likely fix for the typo people make most in a dtab of one dentry per line: a `;` left off
 * the line before (the parser then sees the next line's prefix where the input should end).
 */
export function hintFor(check: DtabCheck, text: string): string | null {
  if (check.ok || !check.message.startsWith('end of input expected')) return null
  const before = text.slice(0, check.offset).replace(/[ \t]+$/, '')
  if (!/[\r\n]$/.test(before)) return null
  return `Each dentry ends with “;”: is one missing at the end of line ${check.line - 1}?`
}
