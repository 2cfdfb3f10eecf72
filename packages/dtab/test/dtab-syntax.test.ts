// Reading dentries and dtabs: `prefix => tree`, `;` between entries, one trailing `;` at most,
// and no other separators (semantics §5).
import { AnyElem, Dentry, Dtab, NameTree, type Path } from '@switchyard/dtab'
import t from 'tap'
import { parseMessage } from './helpers.js'

const dentry = (prefix: Dentry['prefix'], dst: NameTree<Path>): Dentry => ({ prefix, dst })

t.test('a dentry is a prefix, =>, and a name tree', async (t) => {
  t.strictSame(Dentry.read('/=>!'), dentry([], NameTree.Fail))
  t.strictSame(Dentry.read('/ => !'), dentry([], NameTree.Fail))
  t.strictSame(Dentry.read('/foo/*/bar => !'), dentry(['foo', AnyElem, 'bar'], NameTree.Fail))
  t.strictSame(Dentry.read('/foo/bar/baz => !'), dentry(['foo', 'bar', 'baz'], NameTree.Fail))
  t.strictSame(Dentry.read('/a=>/b & 2*/c | ~'), {
    prefix: ['a'],
    dst: NameTree.read('/b & 2*/c | ~'),
  })
})

t.test('=> is one token: = then > with nothing between', async (t) => {
  t.equal(parseMessage(Dentry.read, '/a = > /b'), `'>' expected but ' ' found at '/a =[ ]> /b'`)
  t.equal(parseMessage(Dentry.read, '/a -> /b'), `'=' expected but '-' found at '/a [-]> /b'`)
  t.strictSame(Dentry.read('/a  =>  /b'), Dentry.read('/a=>/b'))
})

t.test('Dentry.read reads one dentry: a trailing ; is an error there', async (t) => {
  t.equal(
    parseMessage(Dentry.read, '/a=>/b;'),
    `end of input expected but ';' found at '/a=>/b[;]'`,
  )
})

t.test('Dentry.of builds from text or from values', async (t) => {
  t.strictSame(Dentry.of('/a/*', '/b | /c'), Dentry.read('/a/* => /b | /c'))
  t.strictSame(Dentry.of(['a'], NameTree.Neg), dentry(['a'], NameTree.Neg))
})

t.test('the empty string and whitespace alone are the empty dtab', async (t) => {
  t.strictSame(Dtab.read(''), [])
  t.strictSame(Dtab.read('   \n\t '), [])
})

t.test('entries are separated by ;, whitespace allowed around them', async (t) => {
  t.strictSame(Dtab.read('  /=>!  '), [dentry([], NameTree.Fail)])
  t.strictSame(Dtab.read('/=>!;/foo=>/bar'), [
    dentry([], NameTree.Fail),
    dentry(['foo'], NameTree.leaf(['bar'])),
  ])
  t.equal(Dtab.show(Dtab.read(' /a => /b ;\n /c => /d ')), '/a=>/b;/c=>/d')
  t.equal(Dtab.read('/a=>/1;/a=>/2;/a=>/3').length, 3, 'entries keep their order and repeats')
  t.equal(Dtab.show(Dtab.read('/a=>/1;/a=>/2;/a=>/3')), '/a=>/1;/a=>/2;/a=>/3')
})

t.test('one trailing ; is allowed', async (t) => {
  t.strictSame(Dtab.read('/=>!;'), [dentry([], NameTree.Fail)])
  t.strictSame(Dtab.read('/=>!; \n '), [dentry([], NameTree.Fail)])
  t.strictSame(Dtab.read('/=>!; # done'), [dentry([], NameTree.Fail)])
})

t.test('after a ; anything but the end must be a dentry: ;; and leading ; fail', async (t) => {
  t.equal(parseMessage(Dtab.read, '/a=>/b;;'), `'/' expected but ';' found at '/a=>/b;[;]'`)
  t.equal(parseMessage(Dtab.read, '/a=>/b; ;'), `'/' expected but ';' found at '/a=>/b; [;]'`)
  t.equal(parseMessage(Dtab.read, ';/a=>/b'), `'/' expected but ';' found at '[;]/a=>/b'`)
  t.equal(parseMessage(Dtab.read, ';'), `'/' expected but ';' found at '[;]'`)
  t.equal(parseMessage(Dtab.read, ' ; '), `'/' expected but ';' found at ' [;] '`)
})

t.test('newlines do not separate dentries', async (t) => {
  t.equal(
    parseMessage(Dtab.read, '/a=>/b\n/c=>/d'),
    `end of input expected but '/' found at '/a=>/b\n[/]c=>/d'`,
  )
})

t.test('a comma does not separate dentries either', async (t) => {
  t.equal(
    parseMessage(Dtab.read, '/a=>/b,/c=>/d'),
    `end of input expected but ',' found at '/a=>/b[,]/c=>/d'`,
  )
})

t.test('a dtab that is not a dentry at all fails at the first character', async (t) => {
  t.equal(
    parseMessage(Dtab.read, 'invalid-param'),
    `'/' expected but 'i' found at '[i]nvalid-param'`,
  )
})
