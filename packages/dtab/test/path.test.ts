// Path: its grammar, byte-string elements, show, equality and element operations (semantics §2).
import { DtabParseError, elemText, Path, showElem, utf8Elem } from '@switchyard/dtab'
import t from 'tap'
import { parseMessage } from './helpers.js'

t.test('the empty path is written /, and reads and shows as such', async (t) => {
  t.strictSame(Path.read('/'), [])
  t.equal(Path.show(Path.empty), '/')
  t.equal(Path.show(Path.read('/')), '/')
})

t.test('a path reads as its elements, whitespace around it ignored', async (t) => {
  t.strictSame(Path.read('/foo/bar'), ['foo', 'bar'])
  t.strictSame(Path.read('  /foo/bar  '), ['foo', 'bar'])
  t.strictSame(Path.read('\t\n/foo\r\n'), ['foo'])
  t.equal(Path.show(Path.read('/foo/bar')), '/foo/bar')
})

t.test('every showable character is a label character', async (t) => {
  const all = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-'
  t.strictSame(Path.read(`/${all}`), [all])
  t.equal(Path.show([all]), `/${all}`)
})

t.test(
  'no other character is a label character: each is refused raw and printed escaped',
  async (t) => {
    const showable = new Set(
      '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-',
    )
    for (let c = 0x20; c < 0x7f; c++) {
      const ch = String.fromCharCode(c)
      if (showable.has(ch)) continue
      t.equal(Path.show([`a${ch}`]), `/\\x61\\x${c.toString(16)}`, `${ch} prints escaped`)
      // A space may follow a path, a slash separates elements and a backslash starts an
      // escape; any other character ends the path where it stands.
      if (ch === ' ' || ch === '/' || ch === '\\') continue
      t.equal(
        parseMessage(Path.read, `/a${ch}`),
        `end of input expected but '${ch}' found at '/a[${ch}]'`,
        `${ch} ends the path`,
      )
    }
  },
)

t.test('a \\xHH escape is one byte, so \\x2f is a slash inside one element', async (t) => {
  t.strictSame(Path.read('/a\\x2fb'), ['a/b'])
  t.strictSame(Path.read('/\\x66\\x6f\\x6F'), ['foo'], 'hex digits may be upper or lower case')
  t.strictSame(Path.read('/\\x00'), ['\x00'])
  t.strictSame(Path.read('/\\xff'), ['\xff'])
})

t.test('equality is byte-wise and case-sensitive', async (t) => {
  t.ok(Path.equals(Path.read('/\\x61'), Path.read('/a')), '/\\x61 equals /a')
  t.notOk(Path.equals(Path.read('/A'), Path.read('/a')))
  t.notOk(Path.equals(Path.read('/a/b'), Path.read('/a')))
  t.notOk(Path.equals(Path.read('/a\\x2fb'), Path.read('/a/b')), 'one element is not two')
  t.ok(Path.equals(Path.empty, Path.read('/')))
})

t.test('an element of showable bytes prints as those bytes', async (t) => {
  t.equal(Path.show(Path.read('/\\x61\\x62')), '/ab', 'escaped showable bytes print plainly')
  t.equal(showElem('io.l5d.fs'), 'io.l5d.fs')
})

t.test('a non-showable byte escapes the whole element, in lower-case hex', async (t) => {
  t.equal(Path.show(Path.read('/caf\\xc3\\xa9')), '/\\x63\\x61\\x66\\xc3\\xa9')
  t.equal(Path.show(Path.read('/\\xFF')), '/\\xff')
  t.equal(Path.show(Path.read('/a\\x2fb/c')), '/\\x61\\x2f\\x62/c', 'only that element escapes')
  t.equal(Path.show([' ']), '/\\x20')
  t.equal(Path.show(['*']), '/\\x2a', 'a star is not a path character')
  t.equal(showElem('\x00\x0f\x10'), '\\x00\\x0f\\x10', 'two hex digits per byte, zero-padded')
})

t.test('no empty elements: a double or trailing slash is an error', async (t) => {
  t.equal(parseMessage(Path.read, '/a//b'), `label char expected but '/' found at '/a/[/]b'`)
  t.equal(parseMessage(Path.read, '/a/'), `label char expected but end of input found at '/a/[]'`)
})

t.test('no whitespace inside a path', async (t) => {
  t.equal(parseMessage(Path.read, '/a b'), `end of input expected but 'b' found at '/a [b]'`)
})

t.test('raw non-ASCII is illegal in a path; it must be escaped', async (t) => {
  t.equal(parseMessage(Path.read, '/é'), `end of input expected but 'é' found at '/[é]'`)
  t.equal(parseMessage(Path.read, '/caé'), `end of input expected but 'é' found at '/ca[é]'`)
  t.strictSame(Path.read('/\\xc3\\xa9'), ['\xc3\xa9'])
})

t.test('only a lower-case x introduces an escape, followed by two hex digits', async (t) => {
  t.equal(parseMessage(Path.read, '/\\X41'), `'x' expected but 'X' found at '/\\[X]41'`)
  t.equal(parseMessage(Path.read, '/\\x4'), `hex char expected but end of input found at '/\\x4[]'`)
  t.equal(parseMessage(Path.read, '/\\xg0'), `hex char expected but 'g' found at '/\\x[g]0'`)
})

t.test('a path must start with a slash', async (t) => {
  t.equal(parseMessage(Path.read, ''), `'/' expected but end of input found at '[]'`)
  t.equal(parseMessage(Path.read, 'foo'), `'/' expected but 'f' found at '[f]oo'`)
  t.equal(parseMessage(Path.read, '/{}'), `end of input expected but '{' found at '/[{]}'`)
})

t.test(
  'a hash inside a path is a label character; after whitespace it starts a comment',
  async (t) => {
    t.strictSame(Path.read('/#/io.l5d.fs'), ['#', 'io.l5d.fs'])
    t.strictSame(Path.read('/#foo'), ['#foo'])
    t.strictSame(Path.read('/foo#bar'), ['foo#bar'])
    t.strictSame(Path.read('/foo #bar'), ['foo'])
    t.strictSame(Path.read('# a comment\n/foo'), ['foo'], 'a comment line before the path')
  },
)

t.test('$ is an ordinary label character in a path', async (t) => {
  t.strictSame(Path.read('/$/inet/127.1/8080'), ['$', 'inet', '127.1', '8080'])
})

t.test('startsWith is an element-wise prefix test', async (t) => {
  const p = Path.read('/a/b/c')
  t.ok(Path.startsWith(p, Path.read('/a/b')))
  t.ok(Path.startsWith(p, Path.empty), 'every path starts with the empty path')
  t.ok(Path.startsWith(p, p))
  t.notOk(Path.startsWith(p, Path.read('/a/c')))
  t.notOk(Path.startsWith(Path.read('/ab'), Path.read('/a')), 'elements, not characters')
  t.notOk(Path.startsWith(Path.read('/a'), p), 'a longer prefix never matches')
})

t.test('take and drop work on elements', async (t) => {
  const p = Path.read('/a/b/c')
  t.strictSame(Path.take(p, 2), ['a', 'b'])
  t.strictSame(Path.take(p, 0), [])
  t.strictSame(Path.take(p, 9), ['a', 'b', 'c'])
  t.strictSame(Path.drop(p, 2), ['c'])
  t.strictSame(Path.drop(p, 0), ['a', 'b', 'c'])
  t.strictSame(Path.drop(p, 5), [])
})

t.test('counts out of range clamp as Scala’s take and drop do', async (t) => {
  const p = Path.read('/a/b/c')
  t.strictSame(Path.take(p, -1), [], 'taking fewer than none takes none')
  t.strictSame(Path.drop(p, -1), ['a', 'b', 'c'], 'dropping fewer than none drops none')
  t.strictSame(Path.take(Path.empty, 1), [])
  t.strictSame(Path.drop(Path.empty, 1), [])
})

t.test('concatenation joins elements; with the empty path it returns the same path', async (t) => {
  const p = Path.read('/a/b')
  t.strictSame(Path.concat(p, Path.read('/c/d')), ['a', 'b', 'c', 'd'])
  t.equal(Path.concat(p, Path.empty), p)
  t.strictSame(Path.concat(Path.empty, p), ['a', 'b'])
  t.strictSame(p, ['a', 'b'], 'the operands are not changed')
})

t.test('toString is the Scala debugging form', async (t) => {
  t.equal(Path.toString(Path.read('/a/b')), 'Path(a,b)')
  t.equal(Path.toString(Path.empty), 'Path()')
  t.equal(Path.toString(Path.read('/caf\\xc3\\xa9/x')), 'Path(\\x63\\x61\\x66\\xc3\\xa9,x)')
})

t.test('text elements are stored as UTF-8 bytes and print escaped', async (t) => {
  t.strictSame(Path.utf8('foo', 'bar'), ['foo', 'bar'])
  t.strictSame(Path.utf8('café'), ['caf\xc3\xa9'])
  t.equal(Path.show(Path.utf8('café')), '/\\x63\\x61\\x66\\xc3\\xa9')
  t.ok(Path.equals(Path.utf8('café'), Path.read('/caf\\xc3\\xa9')))
  t.equal(utf8Elem('𝄞'), '\xf0\x9d\x84\x9e', 'an astral character is four bytes')
  t.equal(utf8Elem('\ud800'), '\xef\xbf\xbd', 'a lone surrogate encodes as U+FFFD')
})

t.test('elemText decodes UTF-8, turning invalid bytes into U+FFFD', async (t) => {
  t.equal(elemText(utf8Elem('wörld ✓ 𝄞')), 'wörld ✓ 𝄞')
  t.equal(elemText('\xff'), '\ufffd')
  t.equal(elemText('a\xc3'), 'a\ufffd', 'a truncated sequence')
  t.equal(elemText('\xc0\xaf'), '\ufffd\ufffd', 'an overlong encoding')
  t.equal(elemText('\xed\xa0\x80'), '\ufffd\ufffd\ufffd', 'an encoded surrogate')
})

t.test('Path.read throws DtabParseError, never a bare Error', async (t) => {
  t.throws(() => Path.read('/a b'), DtabParseError)
})
