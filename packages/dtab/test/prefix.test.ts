// Dentry prefixes: paths whose elements may be `*`, how they read, show and match (semantics §3).
import { AnyElem, Dentry, Path, Prefix } from '@switchyard/dtab'
import t from 'tap'
import { parseMessage } from './helpers.js'

const matches = (prefix: string, path: string) =>
  Prefix.matches(Prefix.read(prefix), Path.read(path))

t.test('/ is the empty prefix', async (t) => {
  t.strictSame(Prefix.read('/'), [])
  t.equal(Prefix.show(Prefix.empty), '/')
  t.equal(Prefix.show(Prefix.read('  /  ')), '/')
})

t.test('* is a whole element that reads as the wildcard and shows as *', async (t) => {
  t.strictSame(Prefix.read('/foo/*/bar'), ['foo', AnyElem, 'bar'])
  t.strictSame(Prefix.read('/*'), [AnyElem])
  t.equal(Prefix.show(Prefix.read('/foo/*/bar')), '/foo/*/bar')
  t.equal(Prefix.show(Prefix.read('/*/*')), '/*/*')
})

t.test('* must be a whole element', async (t) => {
  t.equal(
    parseMessage(Prefix.read, '/foo/*bar'),
    `end of input expected but 'b' found at '/foo/*[b]ar'`,
  )
  t.equal(parseMessage(Prefix.read, '/*foo'), `end of input expected but 'f' found at '/*[f]oo'`)
  t.equal(parseMessage(Prefix.read, '/**'), `end of input expected but '*' found at '/*[*]'`)
  t.equal(
    parseMessage(Dentry.read, '/*foo=>/a'),
    `'=' expected but 'f' found at '/*[f]oo=>/a'`,
    'in a dentry it fails the same way, expecting =>',
  )
  t.equal(
    parseMessage(Prefix.read, '/foo*'),
    `end of input expected but '*' found at '/foo[*]'`,
    'a star after label characters is not part of the label',
  )
})

t.test('a path has no wildcard: * is not a path character', async (t) => {
  t.equal(parseMessage(Path.read, '/*'), `end of input expected but '*' found at '/[*]'`)
})

t.test('an escaped star is a label, not a wildcard', async (t) => {
  const star = Prefix.read('/\\x2a')
  t.strictSame(star, ['*'])
  t.equal(Prefix.show(star), '/\\x2a')
  t.notOk(Prefix.matches(star, Path.read('/x')))
  t.ok(Prefix.matches(star, ['*']))
})

t.test('prefix labels escape exactly as path elements do', async (t) => {
  t.equal(Prefix.show(Prefix.read('/caf\\xc3\\xa9/*')), '/\\x63\\x61\\x66\\xc3\\xa9/*')
})

t.test('a prefix matches a path that starts with its labels, element by element', async (t) => {
  t.ok(matches('/a/b', '/a/b'))
  t.ok(matches('/a/b', '/a/b/c/d'))
  t.notOk(matches('/a/b', '/a'), 'a prefix longer than the path never matches')
  t.notOk(matches('/a/b', '/a/c'))
  t.notOk(matches('/a', '/ab'), 'elements, not characters')
  t.notOk(matches('/A', '/a'), 'case-sensitive')
  t.ok(matches('/\\x61', '/a'), 'byte-wise')
})

t.test('* matches any one element', async (t) => {
  t.ok(matches('/a/*/c', '/a/x/c'))
  t.ok(matches('/a/*/c', '/a/x/c/d'))
  t.ok(matches('/*', '/anything'))
  t.notOk(matches('/a/*/c', '/a/x'), 'the wildcard needs an element to match')
  t.notOk(matches('/a/*/c', '/a/x/y/c'), 'exactly one element')
  t.notOk(matches('/*', '/'), 'not the empty path')
})

t.test('the empty prefix matches every path, system paths and the empty path too', async (t) => {
  t.ok(matches('/', '/'))
  t.ok(matches('/', '/a/b'))
  t.ok(matches('/', '/$/inet/127.1/8080'))
  t.ok(matches('/', '/#/io.l5d.fs/x'))
})

t.test('prefix equality is element by element, the wildcard equal only to itself', async (t) => {
  t.ok(Prefix.equals(Prefix.read('/a/*'), Prefix.read('/a/*')))
  t.notOk(Prefix.equals(Prefix.read('/a/*'), Prefix.read('/a/\\x2a')))
  t.notOk(Prefix.equals(Prefix.read('/a'), Prefix.read('/a/b')))
  t.ok(Prefix.equals(Prefix.fromPath(Path.read('/a/b')), Prefix.read('/a/b')))
})
