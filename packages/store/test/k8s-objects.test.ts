// Reading DTab objects is a parser of what the API server hands us: any `dentries` at all
// gives a dtab or a CorruptEntryError for that namespace, never anything else; what we write
// reads back equal; the history's placement keeps one chain whatever order appends land in.
import { Dtab } from '@switchyard/dtab'
import fc from 'fast-check'
import t from 'tap'
import { CorruptEntryError } from '../src/index.js'
import { bound, insert } from '../src/k8s-history.js'
import { dtabEvent, dtabOf, newDTab, withDentries } from '../src/k8s-objects.js'

const meta = { name: 'web', namespace: 'default', resourceVersion: '42' }

t.test('any dentries: a dtab or CorruptEntryError, never another failure', async (t) => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.json().map((j) => JSON.parse(j) as unknown),
        fc.array(fc.record({ prefix: fc.string(), dst: fc.string() })),
        fc.array(
          fc.record({
            prefix: fc.constantFrom('/svc', '/a/b', '/#/x', 'bad', ''),
            dst: fc.constantFrom('/x', '/a | /b', '1 * /a & 2 * /b', '~', '!', '$', '(', '/a/*'),
          }),
        ),
        fc.constant(undefined),
        fc.constant(null),
      ),
      (dentries) => {
        const object = { metadata: meta, ...(dentries === undefined ? {} : { dentries }) }
        try {
          dtabOf('web', 'default', object)
        } catch (err) {
          if (!(err instanceof CorruptEntryError)) throw err
        }
        const e = dtabEvent('web', 'default', object)
        return e.type === 'dtab' || e.type === 'corrupt'
      },
    ),
    { numRuns: 3000 },
  )
  t.pass('3000 objects read')
})

t.test('what we write reads back as the same dtab', async (t) => {
  const samples = ['', '/svc => /host', '/a => 0.25 * /b & 0.75 * (/c | /d); /x/* => ~ | !']
  for (const text of samples) {
    const dtab = Dtab.read(text)
    const fresh = JSON.parse(JSON.stringify(newDTab('default', 'web', dtab)))
    t.ok(Dtab.equals(dtabOf('web', 'default', { ...fresh, metadata: meta }), dtab), text)
    const replaced = withDentries({ metadata: meta, dentries: [] }, dtab, '42')
    t.ok(Dtab.equals(dtabOf('web', 'default', { ...replaced, metadata: meta }), dtab))
  }
})

type Entry = Parameters<typeof insert>[1]
const entry = (version: string, previous: string | null): Entry => ({
  op: previous === null ? 'create' : 'update',
  version,
  previous,
  time: new Date(0).toISOString(),
  who: null,
  dtab: '/a=>/b',
})

t.test('history entries landing in any order form one chain, newest first', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }).chain((n) =>
        fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: n, maxLength: n },
        ),
      ),
      (order) => {
        const chain = order.map((i) => entry(`${i + 1}`, i === 0 ? null : `${i}`))
        let entries: Entry[] = []
        for (const e of chain) entries = insert(entries, e)
        const versions = entries.map((e) => e.version)
        const expected = [...versions].sort((a, b) => Number(b) - Number(a))
        return JSON.stringify(versions) === JSON.stringify(expected)
      },
    ),
    { numRuns: 1000 },
  )
  t.same(
    insert([entry('2', '1')], entry('2', '1')).length,
    1,
    'an append that landed already is not doubled',
  )
})

t.test(
  "a delete sits just above the state it deleted, whatever its version (the history object's) says",
  async (t) => {
    const del = (version: string, previous: string): Entry => ({
      ...entry(version, previous),
      op: 'delete',
      dtab: null,
    })
    // put at 10 deleted; the delete's append read the history object before 10's entry
    // landed (version 8), or after a re-create at 13 had been recorded (version 14).
    for (const deleted of [del('8', '10'), del('14', '10')]) {
      const writes = [entry('5', null), entry('10', '5'), deleted, entry('13', null)]
      fc.assert(
        fc.property(fc.shuffledSubarray(writes, { minLength: 4, maxLength: 4 }), (order) => {
          let entries: Entry[] = []
          for (const e of order) entries = insert(entries, e)
          const seen = entries.map((e) => `${e.op} ${e.version}`)
          return (
            JSON.stringify(seen) ===
            JSON.stringify(['create 13', `delete ${deleted.version}`, 'update 10', 'create 5'])
          )
        }),
        { numRuns: 100 },
      )
    }
    t.pass('the order of the writes, for every landing order')
  },
)

t.test(
  'bound keeps the newest entries within the count and bytes, and always the newest one',
  async (t) => {
    const entries = Array.from({ length: 10 }, (_, i) => entry(`${10 - i}`, `${9 - i}`))
    t.equal(bound(entries, 3, 1_000_000).length, 3)
    const size = Buffer.byteLength(JSON.stringify(entries[0])) + 1
    t.equal(bound(entries, 100, 2 + 2 * size + 1).length, 2, 'as many as fit the bytes')
    t.same(bound(entries, 100, 10), [entries[0]], 'the newest, even alone over the budget')
  },
)
