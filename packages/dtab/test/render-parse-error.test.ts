// renderParseError: a parse error shown to people, with the offending line and a caret.
import { Dtab, DtabParseError, NameTree, Path, renderParseError } from '@switchyard/dtab'
import t from 'tap'
import { errorOf } from './helpers.js'

const parseError = (f: () => unknown): DtabParseError => {
  const err = errorOf(f)
  if (!(err instanceof DtabParseError)) throw err
  return err
}

t.test('a one-line error shows the offset, the message, the line and a caret', async (t) => {
  const err = parseError(() => Dtab.read('/svc => /host ; /x =>> /y'))
  t.equal(
    renderParseError(err),
    [
      `error: cannot parse dtab at offset 21: simple expected but '>' found at '/svc => /host ; /x =>[>] /y'`,
      '  /svc => /host ; /x =>> /y',
      `  ${' '.repeat(21)}^ simple expected here`,
    ].join('\n'),
  )
})

t.test('an error past the first line names the line and shows only that line', async (t) => {
  const err = parseError(() => Dtab.read('/svc => /host;\n/x =>> /y'))
  t.equal(
    renderParseError(err),
    [
      `error: cannot parse dtab at line 2, offset 20: simple expected but '>' found at '/svc => /host;\n/x =>[>] /y'`,
      '  /x =>> /y',
      '       ^ simple expected here',
    ].join('\n'),
  )
  const third = parseError(() => Dtab.read('/a=>/b;\n/c=>/d;\n/e=>/f/;'))
  t.equal(
    renderParseError(third),
    [
      `error: cannot parse dtab at line 3, offset 23: label char expected but ';' found at '/a=>/b;\n/c=>/d;\n/e=>/f/[;]'`,
      '  /e=>/f/;',
      '         ^ label char expected here',
    ].join('\n'),
  )
})

t.test('an error at the end of the input puts the caret just past it', async (t) => {
  const err = parseError(() => NameTree.read('/a |'))
  t.equal(
    renderParseError(err, 'name tree'),
    [
      `error: cannot parse name tree at offset 4: simple expected but end of input found at '/a |[]'`,
      '  /a |',
      '      ^ simple expected here',
    ].join('\n'),
  )
})

t.test('an error after a trailing newline is on an empty last line', async (t) => {
  const err = parseError(() => Dtab.read('/a=>\n'))
  t.equal(
    renderParseError(err),
    [
      `error: cannot parse dtab at line 2, offset 5: simple expected but end of input found at '/a=>\n[]'`,
      '  ',
      '  ^ simple expected here',
    ].join('\n'),
  )
})

t.test('an error at the very start puts the caret under the first character', async (t) => {
  const err = parseError(() => Path.read('invalid-param'))
  t.equal(
    renderParseError(err, 'path'),
    [
      `error: cannot parse path at offset 0: '/' expected but 'i' found at '[i]nvalid-param'`,
      '  invalid-param',
      `  ^ '/' expected here`,
    ].join('\n'),
  )
})

t.test('tabs before the offset stay tabs, so the caret lines up', async (t) => {
  const err = parseError(() => Dtab.read('\t/a\t=>> /b'))
  t.equal(renderParseError(err).split('\n')[2], '  \t  \t  ^ simple expected here')
})

t.test('what names the kind of input, dtab by default', async (t) => {
  const err = parseError(() => Path.read('/a b'))
  t.match(renderParseError(err), /^error: cannot parse dtab at offset 3: /)
  t.match(renderParseError(err, 'path'), /^error: cannot parse path at offset 3: /)
})

t.test('a bad non-ASCII weight renders at the start of the number', async (t) => {
  const err = parseError(() => NameTree.read('/a & ١ * /b'))
  t.equal(
    renderParseError(err, 'name tree'),
    [
      'error: cannot parse name tree at offset 5: For input string: "١"',
      '  /a & ١ * /b',
      '       ^ weight expected here',
    ].join('\n'),
  )
})
