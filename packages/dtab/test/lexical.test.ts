// The lexical layer shared by every reader: Java's whitespace set, # comments where whitespace
// may be, and UTF-16 code units (semantics §1).
import { Dtab, DtabParseError, NameTree, Path } from '@switchyard/dtab'
import t from 'tap'
import { errorOf, parseMessage } from './helpers.js'

/** Java's Character.isWhitespace, listed from its definition (semantics §1). */
const JAVA_WHITESPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x205f, 0x3000,
])

t.test('exactly the code units Java calls whitespace may precede a path', async (t) => {
  const wrong: string[] = []
  for (let c = 0; c <= 0xffff; c++) {
    // U+180E was a space separator before Unicode 6.3 (Java 8) and is not on JDK 17; the
    // reference does not pin it, so it is left out here.
    if (c === 0x180e) continue
    let parsed: boolean
    try {
      Path.read(`${String.fromCharCode(c)}/a`)
      parsed = true
    } catch (err) {
      if (!(err instanceof DtabParseError)) throw err
      parsed = false
    }
    if (parsed !== JAVA_WHITESPACE.has(c)) wrong.push(c.toString(16).padStart(4, '0'))
  }
  t.strictSame(wrong, [], 'code units treated unlike Java')
})

t.test('the no-break spaces and U+FEFF are not whitespace, unlike JavaScript \\s', async (t) => {
  for (const c of ['\u00a0', '\u2007', '\u202f', '\ufeff']) {
    t.ok(/\s/.test(c), `JavaScript calls U+${c.charCodeAt(0).toString(16)} whitespace`)
    t.throws(() => Dtab.read(`${c}/a=>/b`), DtabParseError)
  }
})

t.test('U+001C..U+001F are whitespace, unlike JavaScript \\s', async (t) => {
  for (const c of ['\u001c', '\u001d', '\u001e', '\u001f']) {
    t.notOk(/\s/.test(c))
    t.equal(Dtab.show(Dtab.read(`${c}/a${c}=>${c}/b${c}`)), '/a=>/b')
  }
})

t.test('Unicode space separators may stand between tokens', async (t) => {
  t.equal(Dtab.show(Dtab.read('\u2003/a\u3000=>\u2028/b\u205f;\u1680/c=>/d')), '/a=>/b;/c=>/d')
  t.equal(NameTree.show(NameTree.read('/a\u2009|\u2029/b')), '/a | /b')
})

t.test('a comment runs to the end of the line wherever whitespace is skipped', async (t) => {
  const cases: [string, string][] = [
    ['# first\n/a=>/b', '/a=>/b'],
    ['/a=>/b # last', '/a=>/b'],
    ['/a #c\n=>/b', '/a=>/b'],
    ['/a=>#c\n/b', '/a=>/b'],
    ['/a=> #c\n/b', '/a=>/b'],
    ['/a=>/b;#c\n/c=>/d', '/a=>/b;/c=>/d'],
    ['/a=>/b #c\n;/c=>/d', '/a=>/b;/c=>/d'],
    ['/a=>/b |#c\n/c', '/a=>/b | /c'],
    ['/a=>/b &#c\n/c', '/a=>/b & /c'],
    ['/a=>2 *#c\n/b & /c', '/a=>2.00*/b & /c'],
    ['/a=>2 #c\n* /b & /c', '/a=>2.00*/b & /c'],
    ['/a=>(#c\n/b | /c #d\n)', '/a=>/b | /c'],
    ['/a=>/b;\n# a whole line\n/c=>/d # and a tail', '/a=>/b;/c=>/d'],
  ]
  for (const [input, shown] of cases) t.equal(Dtab.show(Dtab.read(input)), shown, input)
})

t.test('a comment swallows the rest of its line, separators included', async (t) => {
  t.equal(Dtab.show(Dtab.read('/a=>/b #x; /c=>/d')), '/a=>/b')
  t.equal(NameTree.show(NameTree.read('/a #| /b')), '/a')
})

t.test('a comment alone, or whitespace alone, is the empty dtab', async (t) => {
  t.strictSame(Dtab.read('# nothing here'), [])
  t.strictSame(Dtab.read('# one\n# two\n'), [])
  t.strictSame(Dtab.read(' \t\r\n '), [])
})

t.test('a comment alone is not a name tree', async (t) => {
  t.equal(parseMessage(NameTree.read, '#'), `simple expected but end of input found at '#[]'`)
})

t.test('a hash right after a slash or inside a label is part of the path', async (t) => {
  t.equal(Dtab.show(Dtab.read('/#/io.l5d.fs=>/#/io.l5d.k8s')), '/#/io.l5d.fs=>/#/io.l5d.k8s')
  t.strictSame(Dtab.read('/foo#bar=>/x')[0]!.prefix, ['foo#bar'])
})

t.test('a comment cannot split the => token', async (t) => {
  t.equal(parseMessage(Dtab.read, '/a =#c\n> /b'), `'>' expected but '#' found at '/a =[#]c\n> /b'`)
})

t.test('non-ASCII text is fine inside a comment', async (t) => {
  t.equal(Dtab.show(Dtab.read('/a=>/b # café ✓ 𝄞\n;/c=>/d')), '/a=>/b;/c=>/d')
})

t.test('the parser counts UTF-16 code units, as Java does', async (t) => {
  const err = errorOf(() => Path.read('/a😀')) as DtabParseError
  t.equal(err.message, `end of input expected but '\ud83d' found at '/a[\ud83d]\ude00'`)
  t.equal(err.offset, 2)
})
