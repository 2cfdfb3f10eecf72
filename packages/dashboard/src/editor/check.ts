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

export function checkDtab(text: string): DtabCheck {
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

/** The error as the page says it: the parser's message and where. */
export function describeCheck(check: Extract<DtabCheck, { ok: false }>): string {
  return `${check.message} (line ${check.line}, column ${check.column})`
}

/** The stored form of `text` (`Dtab.show`), or null when it does not parse. */
export function canonical(text: string): string | null {
  const check = checkDtab(text)
  return check.ok ? check.canonical : null
}
