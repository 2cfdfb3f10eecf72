// The history view's logic: short version names as namerctl prints them, what a rollback sends
// (If-Match the current version, none when the namespace is deleted) and refuses, and the
// comparison it starts with.
import type { HistoryEntry } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { changeWords, defaultComparison, linesOf, planRollback } from '../src/history/model.js'
import { shortVersion, versionName } from '../src/history/version.js'

/** The ETag of counter n as the memory and file stores write it: 8 bytes, big-endian, Base64. */
function counterEtag(n: bigint): string {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(n)
  return b.toString('base64')
}

function entry(
  n: number,
  op: HistoryEntry['op'],
  dtab: string | null,
  who: string | null = 'alice',
): HistoryEntry {
  return {
    version: counterEtag(BigInt(n)),
    previous: n === 1 ? null : counterEtag(BigInt(n - 1)),
    time: new Date(Date.UTC(2026, 11, 5, 12, 0, n)).toISOString(),
    who,
    op,
    dtab,
  }
}

t.test('a counter ETag is named v<n>, as namerctl names it', async (t) => {
  t.equal(shortVersion('AAAAAAAAAAE='), 'v1')
  t.equal(shortVersion('AAAAAAAAAAw='), 'v12')
  t.equal(shortVersion('"AAAAAAAAAAw="'), 'v12', 'quoted, as copied from an ETag header')
  fc.assert(
    fc.property(fc.bigInt({ min: 1n, max: BigInt(Number.MAX_SAFE_INTEGER) }), (n) => {
      return shortVersion(counterEtag(n)) === `v${n}`
    }),
  )
})

t.test("etcd's and Kubernetes' ASCII revisions are named by their number", async (t) => {
  t.equal(shortVersion(Buffer.from('48213').toString('base64')), 'v48213')
})

t.test(
  'an ETag with no number has no short form and is shown by itself, cut when long',
  async (t) => {
    t.equal(shortVersion('AAAAAAAAAAA='), null, 'counter 0 is not a version')
    t.equal(shortVersion(null), null)
    t.equal(versionName('abcd'), 'abcd')
    t.equal(versionName('QUJDREVGR0hJSktMTU5PUA=='), 'QUJDREVGR0hJ…')
  },
)

t.test('hostile ETags never throw and never print as something they are not', async (t) => {
  for (const bad of [
    '',
    '=',
    '====',
    '%%%%',
    'v12',
    'A'.repeat(10_000),
    '\u0000\u0000\u0000\u0000',
  ]) {
    t.doesNotThrow(() => versionName(bad), JSON.stringify(bad.slice(0, 20)))
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 64 }), (s) => {
      const short = shortVersion(s)
      return short === null || /^v[1-9][0-9]*$/.test(short)
    }),
  )
})

t.test('a rollback is a compare-and-swap against the version shown as current', async (t) => {
  const entries = [
    entry(3, 'update', '/svc=>/srv/world-v2'),
    entry(2, 'update', '/svc=>/srv/world-v1;/x=>/y'),
    entry(1, 'create', '/svc=>/srv/world-v1'),
  ]
  const check = planRollback(entries, entries[1]!.version)
  if (!check.ok) throw new Error(check.why)
  t.equal(check.plan.ifMatch, entries[0]!.version)
  t.same(check.plan.before, ['/svc => /srv/world-v2 ;'])
  t.same(check.plan.after, ['/svc => /srv/world-v1 ;', '/x => /y ;'])
})

t.test('rolling back a deleted namespace re-creates it: no If-Match', async (t) => {
  const entries = [
    entry(3, 'delete', null),
    entry(2, 'update', '/a=>/b'),
    entry(1, 'create', '/a=>/c'),
  ]
  const check = planRollback(entries, entries[1]!.version)
  if (!check.ok) throw new Error(check.why)
  t.equal(check.plan.ifMatch, null)
  t.same(check.plan.before, [], 'a deletion has no dtab')
})

t.test('no rollback to the current version, to a deletion, or to a version not read', async (t) => {
  const entries = [
    entry(3, 'update', '/a=>/b'),
    entry(2, 'delete', null),
    entry(1, 'create', '/a=>/c'),
  ]
  t.match(planRollback(entries, entries[0]!.version), { ok: false, why: /current/ })
  t.match(planRollback(entries, entries[1]!.version), { ok: false, why: /deletion/ })
  t.match(planRollback(entries, 'bm9wZQ=='), { ok: false, why: /not in the history/ })
  t.match(planRollback([], 'bm9wZQ=='), { ok: false })
})

t.test('the comparison starts with the previous version against the current one', async (t) => {
  const entries = [entry(2, 'update', '/a=>/b'), entry(1, 'create', '/a=>/c')]
  t.same(defaultComparison(entries), { from: entries[1]!.version, to: entries[0]!.version })
  t.same(defaultComparison(entries.slice(0, 1)), {
    from: entries[0]!.version,
    to: entries[0]!.version,
  })
  t.equal(defaultComparison([]), null)
})

t.test('a deletion is said to be one and compares as an empty dtab', async (t) => {
  const del = entry(4, 'delete', null)
  t.equal(changeWords(del), 'delete (namespace deleted)')
  t.same(linesOf(del), [])
  t.same(linesOf(undefined), [])
})
