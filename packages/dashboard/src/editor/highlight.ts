// The highlight layer's content: the editor's text split around the error, so a mirror of the
// textarea can mark the character the parser stopped at. The mark always holds something
// visible to underline: at the end of the text, or on a line break, a space stands in (the
// break itself follows it, so lines stay where the textarea has them).

export interface Highlight {
  readonly before: string
  /** What is marked: one character (a surrogate pair kept whole), or a space standing in. */
  readonly marked: string
  readonly after: string
}

export function highlight(text: string, offset: number): Highlight {
  const at = Math.max(0, Math.min(Math.trunc(offset), text.length))
  // Never split a surrogate pair: an offset between its halves marks the whole character.
  const start =
    at > 0 && at < text.length && isLow(text.charCodeAt(at)) && isHigh(text.charCodeAt(at - 1))
      ? at - 1
      : at
  const c = text.charCodeAt(start)
  if (start >= text.length || c === 10 || c === 13) {
    return { before: text.slice(0, start), marked: ' ', after: text.slice(start) }
  }
  const width = isHigh(c) && isLow(text.charCodeAt(start + 1)) ? 2 : 1
  return {
    before: text.slice(0, start),
    marked: text.slice(start, start + width),
    after: text.slice(start + width),
  }
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff
