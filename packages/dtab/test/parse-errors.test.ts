// Syntax errors carry Finagle's message byte for byte, with the offset and what was expected
// (semantics §6, and the NumberFormatException case of §4).
import { Dentry, Dtab, DtabError, DtabParseError, NameTree, Path, Prefix } from '@switchyard/dtab'
import t from 'tap'
import { errorOf } from './helpers.js'

type Reader = (s: string) => unknown
const readers: Record<string, Reader> = {
  path: Path.read,
  prefix: Prefix.read,
  nametree: NameTree.read,
  dentry: Dentry.read,
  dtab: Dtab.read,
}

/** [reader, input, message, offset, expected] */
type Row = [keyof typeof readers, string, string, number, string]

/** Each row as [what the reader threw, what the row says, a name], for t.strictSame. */
function compare(rows: Row[]): [unknown, unknown, string][] {
  return rows.map(([kind, input, message, offset, expected]) => {
    const err = errorOf(() => readers[kind]!(input))
    const found =
      err instanceof DtabParseError
        ? { message: err.message, offset: err.offset, expected: err.expected, input: err.input }
        : { notADtabParseError: `${err.name}: ${err.message}` }
    return [found, { message, offset, expected, input }, `${kind} ${JSON.stringify(input)}`]
  })
}

t.test('every example of the semantics §6 table, message, offset and all', async (t) => {
  const rows: Row[] = [
    ['path', 'invalid-param', `'/' expected but 'i' found at '[i]nvalid-param'`, 0, `'/'`],
    ['dtab', 'invalid-param', `'/' expected but 'i' found at '[i]nvalid-param'`, 0, `'/'`],
    ['path', '/foo^bar', `end of input expected but '^' found at '/foo[^]bar'`, 4, 'end of input'],
    [
      'path',
      '/foo/bar/',
      `label char expected but end of input found at '/foo/bar/[]'`,
      9,
      'label char',
    ],
    ['path', '/\\x0?', `hex char expected but '?' found at '/\\x0[?]'`, 4, 'hex char'],
    ['path', '/\\?', `'x' expected but '?' found at '/\\[?]'`, 2, `'x'`],
    ['nametree', '', `simple expected but end of input found at '[]'`, 0, 'simple'],
    [
      'nametree',
      '/foo & 0.1.2 * /bar',
      `number char expected but '.' found at '/foo & 0.1[.]2 * /bar'`,
      10,
      'number char',
    ],
    [
      'nametree',
      '/foo & . * /bar',
      `weight expected but '.' found at '/foo & .[ ]* /bar'`,
      8,
      'weight',
    ],
    [
      'dtab',
      '/foo/*bar/baz => !',
      `'=' expected but 'b' found at '/foo/*[b]ar/baz => !'`,
      6,
      `'='`,
    ],
    ['dtab', '/a = > /b', `'>' expected but ' ' found at '/a =[ ]> /b'`, 4, `'>'`],
    ['dtab', '/a=>/b;;', `'/' expected but ';' found at '/a=>/b;[;]'`, 7, `'/'`],
  ]
  for (const [found, wanted, name] of compare(rows)) t.strictSame(found, wanted, name)
})

t.test('after a bad lone dot weight the marker sits one character past the dot', async (t) => {
  const rows: Row[] = [
    ['nametree', '.*/a', `weight expected but '.' found at '.[*]/a'`, 1, 'weight'],
    ['nametree', '/a & .', `weight expected but '.' found at '/a & .[]'`, 6, 'weight'],
  ]
  for (const [found, wanted, name] of compare(rows)) t.strictSame(found, wanted, name)
})

t.test('the rest of the expected kinds: quoted characters', async (t) => {
  const rows: Row[] = [
    ['nametree', '(/a', `')' expected but end of input found at '(/a[]'`, 3, `')'`],
    ['nametree', '(/a /b)', `')' expected but '/' found at '(/a [/]b)'`, 4, `')'`],
    ['nametree', '1 /a', `'*' expected but '/' found at '1 [/]a'`, 2, `'*'`],
    ['nametree', '1e3 * /a', `'*' expected but 'e' found at '1[e]3 * /a'`, 1, `'*'`],
    ['dentry', '/a /b', `'=' expected but '/' found at '/a [/]b'`, 3, `'='`],
    ['dentry', '/&!', `'=' expected but '&' found at '/[&]!'`, 1, `'='`],
    ['dentry', '/a=', `'>' expected but end of input found at '/a=[]'`, 3, `'>'`],
    ['path', '/\\x?', `hex char expected but '?' found at '/\\x[?]'`, 3, 'hex char'],
    ['path', '', `'/' expected but end of input found at '[]'`, 0, `'/'`],
    ['path', '/{}', `end of input expected but '{' found at '/[{]}'`, 1, 'end of input'],
  ]
  for (const [found, wanted, name] of compare(rows)) t.strictSame(found, wanted, name)
})

t.test('the tree grammar rejects what it has no production for', async (t) => {
  const rows: Row[] = [
    ['nametree', '()', `simple expected but ')' found at '([)]'`, 1, 'simple'],
    ['nametree', '/foo &', `simple expected but end of input found at '/foo &[]'`, 6, 'simple'],
    ['nametree', '/a |', `simple expected but end of input found at '/a |[]'`, 4, 'simple'],
    ['nametree', '-1 * /a', `simple expected but '-' found at '[-]1 * /a'`, 0, 'simple'],
    ['nametree', '$foo', `end of input expected but 'f' found at '$[f]oo'`, 1, 'end of input'],
    [
      'nametree',
      '/a/b =>',
      `end of input expected but '=' found at '/a/b [=]>'`,
      5,
      'end of input',
    ],
    ['dtab', 'invalid', `'/' expected but 'i' found at '[i]nvalid'`, 0, `'/'`],
  ]
  for (const [found, wanted, name] of compare(rows)) t.strictSame(found, wanted, name)
})

t.test('newlines in the input are kept verbatim in the message', async (t) => {
  const rows: Row[] = [
    [
      'dtab',
      '/a=>/b\n/c=>/d',
      `end of input expected but '/' found at '/a=>/b\n[/]c=>/d'`,
      7,
      'end of input',
    ],
    ['path', '/a/\n/b', `label char expected but '\n' found at '/a/[\n]/b'`, 3, 'label char'],
  ]
  for (const [found, wanted, name] of compare(rows)) t.strictSame(found, wanted, name)
})

t.test('a quote character is shown in quotes like any other', async (t) => {
  for (const [found, wanted, name] of compare([
    ['path', "/a'", `end of input expected but ''' found at '/a[']'`, 2, 'end of input'],
  ]))
    t.strictSame(found, wanted, name)
})

t.test('a U+FFFF in the input reads as end of input, as Java Char.MaxValue does', async (t) => {
  const rows: Row[] = [
    [
      'path',
      '/a\uffff',
      `end of input expected but end of input found at '/a[\uffff]'`,
      2,
      'end of input',
    ],
    ['nametree', '\uffff', `simple expected but end of input found at '[\uffff]'`, 0, 'simple'],
    ['dentry', '/a\uffff', `'=' expected but end of input found at '/a[\uffff]'`, 2, `'='`],
  ]
  for (const [found, wanted, name] of compare(rows)) t.strictSame(found, wanted, name)
})

t.test('a non-ASCII digit in a weight fails like Java parseDouble, unpositioned', async (t) => {
  const rows: Row[] = [
    ['nametree', '١ * /a', 'For input string: "١"', 0, 'weight'],
    ['nametree', '1١ * /a', 'For input string: "1١"', 0, 'weight'],
    ['nametree', '/a & ٣.٥ * /b', 'For input string: "٣.٥"', 5, 'weight'],
    ['dtab', '/x => ५*/a', 'For input string: "५"', 6, 'weight'],
  ]
  for (const [found, wanted, name] of compare(rows)) t.strictSame(found, wanted, name)
})

t.test('a parse error is a DtabError with the dtab_parse code', async (t) => {
  const err = errorOf(() => Dtab.read('/a=>/b;;'))
  t.type(err, DtabError)
  t.type(err, Error)
  t.equal((err as DtabParseError).code, 'dtab_parse')
  t.equal(err.name, 'DtabParseError')
})
