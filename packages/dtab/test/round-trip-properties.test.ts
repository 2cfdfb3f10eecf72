// Properties over generated input: printing and reading are inverses (for the class of values
// Finagle's own round-trip property covers, semantics §7), and the readers fail only with
// DtabParseError, whatever the input.
import { Dentry, Dtab, DtabParseError, NameTree, Path, Prefix } from '@switchyard/dtab'
import fc from 'fast-check'
import t from 'tap'

type Tree = NameTree<Path>

/** Any byte string: printing escapes what is not showable, reading turns it back into bytes. */
const elem = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 })
  .map((bytes) => String.fromCharCode(...bytes))
const showableElem = fc.stringMatching(/^[0-9A-Za-z_:.#$%-]{1,8}$/)
const pathArb: fc.Arbitrary<Path> = fc.array(fc.oneof(elem, showableElem), { maxLength: 5 })
const prefixArb = fc
  .array(fc.oneof(elem, showableElem, fc.constant('*')), { maxLength: 4 })
  .map((elems) =>
    Prefix.read(Prefix.show(elems.map((e) => (e === '*' ? Prefix.read('/*')[0]! : e)))),
  )

/** Weights that print exactly with two decimals: k/100 for k ≥ 0 (1.0 prints as omitted). */
const weight = fc.integer({ min: 0, max: 100000 }).map((k) => k / 100)

/** Trees with no empty and no single-member Alt or Union, the class that round-trips. */
const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    pathArb.map((p) => NameTree.leaf(p)),
    fc.constantFrom<Tree>(NameTree.Neg, NameTree.Fail, NameTree.Empty),
    fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((trees) => NameTree.alt(...trees)),
    fc
      .array(fc.tuple(weight, tie('tree')), { minLength: 2, maxLength: 3 })
      .map((branches) => NameTree.union(...branches.map(([w, tr]) => NameTree.weighted(w, tr)))),
  ),
})).tree

const dentryArb = fc.record({ prefix: prefixArb, dst: treeArb })
const dtabArb = fc.array(dentryArb, { maxLength: 4 })

t.test('Path.read(Path.show(p)) is p, for any bytes', async (t) => {
  fc.assert(fc.property(pathArb, (p) => Path.equals(Path.read(Path.show(p)), p)))
  t.pass()
})

t.test('Prefix.read(Prefix.show(p)) is p, wildcards included', async (t) => {
  fc.assert(fc.property(prefixArb, (p) => Prefix.equals(Prefix.read(Prefix.show(p)), p)))
  t.pass()
})

t.test(
  'NameTree.read(NameTree.show(tree)) is tree, for trees without trivial Alts or Unions',
  async (t) => {
    fc.assert(
      fc.property(treeArb, (tree) => NameTree.equals(NameTree.read(NameTree.show(tree)), tree)),
    )
    t.pass()
  },
)

t.test('Dtab.read(Dtab.show(dtab)) is dtab, and the JSON form round-trips too', async (t) => {
  fc.assert(
    fc.property(dtabArb, (dtab) => {
      const shown = Dtab.show(dtab)
      return (
        Dtab.equals(Dtab.read(shown), dtab) &&
        Dtab.equals(Dtab.fromJson(JSON.parse(JSON.stringify(Dtab.toJson(dtab)))), dtab)
      )
    }),
  )
  t.pass()
})

t.test('show is a fixpoint after one round trip, even for weights that round', async (t) => {
  const anyWeight = fc.double({ min: 0, max: 1e6, noNaN: true })
  const rounding = fc
    .array(fc.tuple(anyWeight, pathArb), { minLength: 2, maxLength: 4 })
    .map((bs) => NameTree.union(...bs.map(([w, p]) => NameTree.weighted(w, NameTree.leaf(p)))))
  fc.assert(
    fc.property(rounding, (tree) => {
      const once = NameTree.show(NameTree.read(NameTree.show(tree)))
      return NameTree.show(NameTree.read(once)) === once
    }),
  )
  t.pass()
})

t.test('simplify is idempotent', async (t) => {
  fc.assert(
    fc.property(treeArb, (tree) => {
      const once = NameTree.simplify(tree)
      return NameTree.equals(NameTree.simplify(once), once)
    }),
  )
  t.pass()
})

/** Input built from the grammar's own tokens, so that random text reaches deep into it. */
const dtabish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '/',
        '=>',
        '=',
        '>',
        ';',
        '|',
        '&',
        '*',
        '(',
        ')',
        '!',
        '~',
        '$',
        '#',
        '\n',
        ' ',
        '\t',
        '\\x',
        '\\x4',
        '.',
        '0.5',
        '2',
      ),
      fc.stringMatching(/^[a-z0-9.]{1,3}$/),
      fc.string({ maxLength: 2, unit: 'binary' }),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''))

const readers: [string, (s: string) => unknown][] = [
  ['Path.read', Path.read],
  ['Prefix.read', Prefix.read],
  ['NameTree.read', NameTree.read],
  ['Dentry.read', Dentry.read],
  ['Dtab.read', Dtab.read],
]

for (const [name, read] of readers) {
  t.test(`${name} fails only with DtabParseError, with an offset inside the input`, async (t) => {
    fc.assert(
      fc.property(fc.oneof(dtabish, fc.string({ unit: 'binary' })), (input) => {
        try {
          read(input)
          return true
        } catch (err) {
          return (
            err instanceof DtabParseError &&
            err.offset >= 0 &&
            err.offset <= input.length &&
            err.input === input
          )
        }
      }),
      { numRuns: 2000 },
    )
    t.pass()
  })
}

t.test('Dtab.fromJson fails only with DtabJsonError on arbitrary JSON', async (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      try {
        Dtab.fromJson(value)
        return true
      } catch (err) {
        return err instanceof Error && err.name === 'DtabJsonError'
      }
    }),
  )
  t.pass()
})
