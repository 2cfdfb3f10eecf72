// Parse as you type: the editor says what namerd's parser says, where it says it, as a line and
// a column people can find; the highlight layer marks that character and loses no text.
import { Dtab, DtabParseError } from '@switchyard/dtab'
import fc from 'fast-check'
import t from 'tap'
import { checkDtab, describeCheck, hintFor } from '../src/editor/check.js'
import { highlight } from '../src/editor/highlight.js'
import { lineColumn } from '../src/editor/position.js'

const parseError = (text: string): DtabParseError => {
  try {
    Dtab.read(text)
  } catch (err) {
    if (err instanceof DtabParseError) return err
    throw err
  }
  throw new Error(`${JSON.stringify(text)} parses`)
}

t.test('a dtab that parses is ok, with the form namerd stores', async (t) => {
  const check = checkDtab('/svc/world => /srv/world-v1 ;\n/srv => /#/io.l5d.fs ;\n')
  t.ok(check.ok)
  if (check.ok) t.equal(check.canonical, '/svc/world=>/srv/world-v1;/srv=>/#/io.l5d.fs')
  t.ok(checkDtab('').ok, 'the empty dtab parses')
})

t.test("a typo gives the parser's own message and offset, with line and column", async (t) => {
  const text = '/svc/world => /srv/world-v1 ;\n/svc/x =>> /y ;\n'
  const check = checkDtab(text)
  const err = parseError(text)
  t.notOk(check.ok)
  if (check.ok) return
  t.equal(check.message, err.message)
  t.equal(check.offset, err.offset)
  t.equal(check.line, 2)
  t.equal(check.column, err.offset - text.indexOf('\n'))
  t.equal(
    describeCheck(check, text),
    `simple expected but '>' found at '/svc/x =>[>] /y ;' (line 2, column ${check.column})`,
    'the quote is cut to the line of the error',
  )
  const one = checkDtab('/a =>> /b')
  if (!one.ok) t.equal(describeCheck(one, '/a =>> /b'), `${one.message} (line 1, column 6)`)
  const end = '/a => /b ;\n/c =>\n'
  const atEnd = checkDtab(end)
  if (!atEnd.ok) t.match(describeCheck(atEnd, end), / at '.*\[\]' \(line \d, column \d+\)$/)
})

t.test('line and column', async (t) => {
  t.same(lineColumn('', 0), { line: 1, column: 1 })
  t.same(lineColumn('abc', 2), { line: 1, column: 3 })
  t.same(lineColumn('ab\ncd', 3), { line: 2, column: 1 })
  t.same(lineColumn('ab\r\ncd', 4), { line: 2, column: 1 }, 'CRLF is one line break')
  t.same(lineColumn('ab\rcd', 3), { line: 2, column: 1 }, 'a lone CR ends a line')
  t.same(lineColumn('😀x', 2), { line: 1, column: 2 }, 'a surrogate pair is one column')
  t.same(lineColumn('abc', 99), { line: 1, column: 4 }, 'past the end is clamped')
  t.same(lineColumn('abc', -5), { line: 1, column: 1 }, 'before the start is clamped')
})

t.test('the highlight keeps every character and marks the one at the offset', async (t) => {
  t.same(highlight('/a =>> /b', 5), { before: '/a =>', marked: '>', after: ' /b' })
  t.same(highlight('/a =>', 5), { before: '/a =>', marked: ' ', after: '' }, 'at the end: a space')
  t.same(highlight('/a\n/b', 2), { before: '/a', marked: ' ', after: '\n/b' }, 'on a break')
  t.same(highlight('x😀y', 2), { before: 'x', marked: '😀', after: 'y' }, 'a pair is kept whole')
})

t.test('properties over any text (hostile input included)', async () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc
      .array(
        fc.constantFrom(
          '/svc',
          '/a',
          ' => ',
          '=>',
          ';',
          '\n',
          '\r\n',
          '|',
          '&',
          '0.5*',
          '!',
          '~',
          '$',
          '#',
          '😀',
          '\t',
          ' ',
          '(',
          ')',
        ),
        { maxLength: 40 },
      )
      .map((parts) => parts.join('')),
  )
  fc.assert(
    fc.property(anyText, fc.integer({ min: -10, max: 300 }), (text, offset) => {
      const h = highlight(text, offset)
      // Every character is kept in order; the mark is the character there or a stand-in space
      // (at the end, or on a line break) that the text does not have.
      const standIn = h.before + h.after === text && h.marked === ' '
      if (!standIn && h.before + h.marked + h.after !== text) return false
      if (standIn && !/^(\r|\n|$)/.test(h.after)) return false
      const { line, column } = lineColumn(text, offset)
      return line >= 1 && column >= 1
    }),
  )
  fc.assert(
    fc.property(anyText, (text) => {
      const check = checkDtab(text)
      let threw: DtabParseError | null = null
      try {
        Dtab.read(text)
      } catch (err) {
        if (!(err instanceof DtabParseError)) throw err
        threw = err
      }
      if (check.ok) return threw === null && check.canonical === Dtab.show(Dtab.read(text))
      return threw !== null && check.message === threw.message && check.offset === threw.offset
    }),
  )
})

t.test('a long dtab is checked quickly enough to parse on every key', async (t) => {
  const text = Array.from({ length: 2000 }, (_, i) => `/svc/s${i} => /srv/s${i} ;`).join('\n')
  const started = performance.now()
  for (let i = 0; i < 10; i++) checkDtab(`${text}\n/x =>> /y`)
  const each = (performance.now() - started) / 10
  t.ok(each < 100, `${each.toFixed(1)} ms per check of 2000 dentries`)
})

t.test('a missing ";" at the end of a line is pointed out', async (t) => {
  const text = '/svc/a => /srv/a\n/svc/b => /srv/b ;'
  t.equal(
    hintFor(checkDtab(text), text),
    'Each dentry ends with “;”: is one missing at the end of line 1?',
  )
  t.equal(hintFor(checkDtab('/a => /b ;'), '/a => /b ;'), null, 'none when it parses')
  t.equal(hintFor(checkDtab('/a =>> /b'), '/a =>> /b'), null, 'none for another error')
})
