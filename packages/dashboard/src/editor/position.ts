// An offset into the editor's text as a line and a column people can find. The parser counts
// UTF-16 code units; a column counts characters, so an emoji or a CJK name before the error
// does not push the column past what the eye sees.

export interface LineColumn {
  /** 1-based. */
  readonly line: number
  /** 1-based, in code points from the start of the line. */
  readonly column: number
}

/** `offset` is clamped to the text; `\r\n` and `\n` both end a line (a lone `\r` too). */
export function lineColumn(text: string, offset: number): LineColumn {
  const end = Math.max(0, Math.min(Math.trunc(offset), text.length))
  let line = 1
  let lineStart = 0
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++
      lineStart = i + 1
    }
  }
  let column = 1
  for (let i = lineStart; i < end; i++) {
    const c = text.charCodeAt(i)
    // A high surrogate followed by a low one is one character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    column++
  }
  return { line, column }
}
