// The parts both generators build messages from: line ends, field lines, chunked bodies, byte
// mutations. Every choice lists the valid forms first, so fast-check shrinks a counterexample
// towards the plainest message that still fails.
import fc from 'fast-check'

/** The valid forms alone, or the valid ones (mostly) and the odd ones. */
export function pick<T>(
  validOnly: boolean,
  valid: readonly T[],
  odd: readonly T[],
): fc.Arbitrary<T> {
  if (validOnly || odd.length === 0) return fc.constantFrom(...valid)
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...valid) },
    { weight: 2, arbitrary: fc.constantFrom(...odd) },
  )
}

export const eol = (validOnly: boolean): fc.Arbitrary<string> =>
  validOnly
    ? fc.constant('\r\n')
    : fc.oneof(
        { weight: 12, arbitrary: fc.constant('\r\n') },
        { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\r\n', '\n\r', '\r\x00\n', '') },
      )

/** A field line: the name, what joins it to the value, the value, the line end. */
export interface Field {
  readonly name: string
  readonly colon: string
  readonly value: string
  readonly eol: string
  /** A continuation line (obs-fold), starting with SP or HTAB, or ''. */
  readonly fold: string
}

export const fieldText = (f: Field): string =>
  `${f.name}${f.colon}${f.value}${f.eol}${f.fold === '' ? '' : `${f.fold}\r\n`}`

export function field(
  validOnly: boolean,
  names: fc.Arbitrary<string>,
  values: fc.Arbitrary<string>,
): fc.Arbitrary<Field> {
  return fc.record({
    name: names,
    colon: pick(validOnly, [': ', ':', ':\t', ':  '], [' :', '\t:', ' : ', '::', ': \x00']),
    value: values,
    eol: eol(validOnly),
    fold: validOnly
      ? fc.constant('')
      : fc.oneof(
          { weight: 12, arbitrary: fc.constant('') },
          { weight: 1, arbitrary: fc.constantFrom(' more', '\tmore', ' ', ' GET /f HTTP/1.1') },
        ),
  })
}

export const tokenName = (validOnly: boolean): fc.Arbitrary<string> =>
  pick(
    validOnly,
    ['X-A', 'accept', 'x-b', 'User-Agent', 'X_C', "x!#$%&'*+.^`|~"],
    ['X A', 'X\tA', '', 'X\x00A', 'X(A)', '\xe4', 'X\rA', 'X\nA', 'X"A', 'X\x7fA', ' X'],
  )

export const fieldValue = (validOnly: boolean): fc.Arbitrary<string> =>
  pick(
    validOnly,
    ['v', 'a b', '', 'a,b', '"q"', '\xe9t\xe9', 'a\tb', '*/*'],
    ['a\x00b', 'a\rb', 'a\nb', 'a\x7fb', 'a\x01b', 'a\x0bb', ' lead', 'trail ', 'a\r\n b'],
  )

/** A misc end-to-end header. */
export const miscField = (validOnly: boolean) =>
  field(validOnly, tokenName(validOnly), fieldValue(validOnly))

/** How a chunk's size line is written, for data of a given length. */
export type SizeForm =
  | 'hex'
  | 'HEX'
  | 'zeros1'
  | 'zeros16'
  | 'zeros20'
  | 'plus1'
  | 'minus1'
  | 'space-after'
  | 'tab-after'
  | 'split-digits'
  | 'junk-after'
  | '0x'
  | 'sign'
  | 'empty'
  | 'huge'

const VALID_SIZES: readonly SizeForm[] = ['hex', 'HEX', 'zeros1', 'zeros16', 'zeros20']
const ODD_SIZES: readonly SizeForm[] = [
  'plus1',
  'minus1',
  'space-after',
  'tab-after',
  'split-digits',
  'junk-after',
  '0x',
  'sign',
  'empty',
  'huge',
]

export function sizeText(form: SizeForm, n: number): string {
  const h = n.toString(16)
  switch (form) {
    case 'hex':
      return h
    case 'HEX':
      return h.toUpperCase()
    case 'zeros1':
      return `0${h}`
    case 'zeros16':
      return `${'0'.repeat(16)}${h}`
    case 'zeros20':
      return `${'0'.repeat(20)}${h}`
    case 'plus1':
      return (n + 1).toString(16)
    case 'minus1':
      return Math.max(0, n - 1).toString(16)
    case 'space-after':
      return `${h} `
    case 'tab-after':
      return `${h}\t`
    case 'split-digits':
      return `${h.slice(0, 1)} ${h.slice(1) || '0'}`
    case 'junk-after':
      return `${h} junk`
    case '0x':
      return `0x${h}`
    case 'sign':
      return `+${h}`
    case 'empty':
      return ''
    case 'huge':
      return `1${'0'.repeat(16)}${h}`
  }
}

export const chunkExt = (validOnly: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    {
      weight: 3,
      arbitrary: pick(
        validOnly,
        [';a', ';a=b', ';a="b c"', ';a="\\""', ';a=b;c', ' ;a=b', '; a = b', '\t;a'],
        [';', ';=b', ';a="x', ';a=b c', ';a=\x00', ';a="\n"', ';a=b ', ';a\rb', ';a\nb', ' x'],
      ),
    },
  )

export interface Chunk {
  readonly size: SizeForm
  readonly ext: string
  readonly eol: string
  readonly data: string
  /** What follows the data: CRLF, or not. */
  readonly end: string
}

export interface ChunkedBody {
  readonly chunks: readonly Chunk[]
  /** The last chunk's zeros. */
  readonly last: string
  readonly lastExt: string
  readonly lastEol: string
  readonly trailers: readonly Field[]
  readonly endEol: string
}

const DATA = ['abc', 'x', 'hello world', '0\r\n\r\n', 'GET /s HTTP/1.1\r\nHost: a\r\n\r\n', '\r\n']

export function chunkedBody(validOnly: boolean): fc.Arbitrary<ChunkedBody> {
  const chunk = fc.record({
    size: pick(validOnly, VALID_SIZES, ODD_SIZES),
    ext: chunkExt(validOnly),
    eol: eol(validOnly),
    data: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...DATA) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }) },
    ),
    end: pick(validOnly, ['\r\n'], ['\n', '\r', '', 'XX', '\r\r\n', ' \r\n']),
  })
  const trailer = field(
    validOnly,
    pick(validOnly, ['X-T', 'Expires'], ['Host', 'GET /t HTTP/1.1', 'X T', '', 'Content-Length']),
    fieldValue(validOnly),
  )
  return fc.record({
    chunks: fc.array(chunk, { maxLength: 3 }),
    last: pick(validOnly, ['0', '00', '0'.repeat(17)], ['0 ', '0\t', ' 0', '']),
    lastExt: chunkExt(validOnly),
    lastEol: eol(validOnly),
    trailers: fc.oneof(
      { weight: 4, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(trailer, { minLength: 1, maxLength: 2 }) },
    ),
    endEol: eol(validOnly),
  })
}

export function chunkedText(b: ChunkedBody): string {
  let s = ''
  for (const c of b.chunks) {
    s += `${sizeText(c.size, c.data.length)}${c.ext}${c.eol}${c.data}${c.end}`
  }
  s += `${b.last}${b.lastExt}${b.lastEol}`
  for (const t of b.trailers) s += fieldText(t)
  return s + b.endEol
}

/** A change to a message's bytes. */
export interface Mutation {
  readonly op: 'insert' | 'delete' | 'replace' | 'dup-line' | 'truncate' | 'case'
  /** Taken modulo the message's length. */
  readonly at: number
  readonly byte: string
}

const INTERESTING = [
  '\r',
  '\n',
  '\x00',
  ' ',
  '\t',
  ':',
  ';',
  '"',
  '0',
  'a',
  '\x7f',
  '\xff',
  ',',
  '\x0b',
  'F',
  '@',
]

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('replace', 'insert', 'delete', 'dup-line', 'truncate', 'case'),
  at: fc.nat({ max: 10_000 }),
  byte: fc.constantFrom(...INTERESTING),
})

export function mutate(text: string, mutations: readonly Mutation[]): string {
  let s = text
  for (const m of mutations) {
    if (s.length === 0) break
    const i = m.at % s.length
    switch (m.op) {
      case 'insert':
        s = s.slice(0, i) + m.byte + s.slice(i)
        break
      case 'delete':
        s = s.slice(0, i) + s.slice(i + 1)
        break
      case 'replace':
        s = s.slice(0, i) + m.byte + s.slice(i + 1)
        break
      case 'truncate':
        s = s.slice(0, Math.max(1, i))
        break
      case 'case': {
        const c = s[i]!
        const swapped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()
        s = s.slice(0, i) + swapped + s.slice(i + 1)
        break
      }
      case 'dup-line': {
        const from = s.lastIndexOf('\n', i - 1) + 1
        const to = s.indexOf('\n', i)
        const line = s.slice(from, to < 0 ? s.length : to + 1)
        s = s.slice(0, from) + line + s.slice(from)
        break
      }
    }
  }
  return s
}
