/** Every error the dtab core raises carries a stable machine-readable code. */
export type DtabErrorCode =
  | 'dtab_parse'
  | 'dtab_json'
  | 'namer_max_depth'
  | 'delegate_max_depth'
  | 'bind_work_limit'
  | 'unknown_namer'
  | 'namer_failed'

export abstract class DtabError extends Error {
  abstract readonly code: DtabErrorCode
}

/**
 * A syntax error. `message` is Finagle's text, byte for byte
 * (`'/' expected but 'i' found at '[i]nvalid-param'`), so HTTP bodies match namerd's.
 */
export class DtabParseError extends DtabError {
  readonly code = 'dtab_parse'
  override readonly name = 'DtabParseError'
  constructor(
    message: string,
    /** Index (UTF-16 code units) into `input` where parsing stopped. */
    readonly offset: number,
    readonly input: string,
    /** What the parser wanted there (`'/'`, `label char`, ...). */
    readonly expected: string,
  ) {
    super(message)
  }
}

/** JSON that is not the `[{"prefix": .., "dst": ..}]` dtab form. */
export class DtabJsonError extends DtabError {
  readonly code = 'dtab_json'
  override readonly name = 'DtabJsonError'
  constructor(
    message: string,
    /** Index of the offending dentry in the array, when there is one. */
    readonly index?: number,
    /** The parse error inside that dentry's prefix or dst, when that is the cause. */
    override readonly cause?: DtabParseError,
  ) {
    super(message)
  }
}

/**
 * Renders a parse error for people: the message, the input line that holds the offset, and a
 * caret under it.
 *
 *     error: cannot parse dtab at offset 17: '>' expected but ...
 *       /svc => /host ; /x =>> /y
 *                         ^
 */
export function renderParseError(err: DtabParseError, what = 'dtab'): string {
  const { input, offset } = err
  const lineStart = input.lastIndexOf('\n', offset - 1) + 1
  const nl = input.indexOf('\n', offset)
  const lineEnd = nl === -1 ? input.length : nl
  const line = input.slice(lineStart, lineEnd)
  const lineNo = countNewlines(input, lineStart) + 1
  const where = lineNo > 1 ? `line ${lineNo}, offset ${offset}` : `offset ${offset}`
  // Tabs stay tabs under the caret, so it lines up whatever the terminal's tab width.
  const pad = line.slice(0, offset - lineStart).replace(/[^\t]/g, ' ')
  return `error: cannot parse ${what} at ${where}: ${err.message}\n  ${line}\n  ${pad}^ ${err.expected} expected here`
}

function countNewlines(s: string, end: number): number {
  let n = 0
  for (let i = s.indexOf('\n'); i !== -1 && i < end; i = s.indexOf('\n', i + 1)) n++
  return n
}
