// What each history row says it changed (audit M8), which prefixes a rollback touches so the
// dialog can name the active rollouts it would stop (H4), and the l5d-why a dashboard rollback
// sends: `rollback to v7 (dashboard)` plus the reason, as UTF-8 bytes namerd reads back.
import type { HistoryEntry } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { cleanWhy, WHY_MAX_CHARS, whyHeaders, whyHeaderValue } from '../src/api/why.js'
import {
  changeSummary,
  dentryChanges,
  previousOf,
  touchedPrefixes,
  touches,
} from '../src/history/changes.js'
import { planRollback, rollbackWhy } from '../src/history/model.js'

function etag(n: number): string {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b.toString('base64')
}

function entry(n: number, op: HistoryEntry['op'], dtab: string | null): HistoryEntry {
  return {
    version: etag(n),
    previous: n === 1 ? null : etag(n - 1),
    time: new Date(Date.UTC(2026, 11, 5, 12, 0, n)).toISOString(),
    who: 'alice',
    op,
    dtab,
  }
}

const V1 = '/srv=>/#/io.l5d.fs;/host=>/srv;/svc=>/host;/host/world=>/srv/world-v1'
const V2 =
  '/srv=>/#/io.l5d.fs;/host=>/srv;/svc=>/host;/host/world=>10.00*/srv/world-v2 & 90.00*/srv/world-v1'

t.test('a row says the dentries its version changed, from the version it replaced', async (t) => {
  const entries = [
    entry(6, 'create', '/a=>/b'),
    entry(5, 'delete', null),
    entry(4, 'update', `${V2};/extra=>/x`),
    entry(3, 'update', V2),
    entry(2, 'put', V1),
    entry(1, 'create', V1),
  ]
  const said = entries.map((e) => changeSummary(e, previousOf(entries, e)))
  t.same(said, [
    'created with 1 dentry',
    'namespace deleted',
    'added /extra => /x',
    'changed /host/world: /srv/world-v1 → 10.00*/srv/world-v2 & 90.00*/srv/world-v1',
    'no change (written again as it was)',
    'created with 4 dentries',
  ])
})

t.test('many changes are counted past three; a reorder and a removal are named', async (t) => {
  const before = entry(1, 'create', '/a=>/1;/b=>/2;/c=>/3;/d=>/4;/e=>/5')
  const after = { ...entry(2, 'update', '/e=>/5;/a=>/9;/b=>/9;/c=>/9;/d=>/9'), previous: etag(1) }
  t.equal(
    changeSummary(after, before),
    'changed /a: /1 → /9; changed /b: /2 → /9; changed /c: /3 → /9; and 1 more',
  )
  t.equal(
    changeSummary(entry(2, 'update', '/b=>/2;/a=>/1'), entry(1, 'create', '/a=>/1;/b=>/2')),
    'dentries reordered',
  )
  t.equal(
    changeSummary(entry(2, 'update', '/a=>/1'), entry(1, 'create', '/a=>/1;/b=>/2')),
    'removed /b',
  )
  t.equal(
    changeSummary(entry(9, 'update', '/a=>/1'), undefined),
    'now 1 dentry (the version before is not in the history read)',
  )
  // Two dentries with one prefix (a fallback chain) compare as one destination list.
  t.same(dentryChanges('/a=>/1;/a=>/2', '/a=>/1;/a=>/3'), [
    { kind: 'changed', prefix: '/a', before: '/1 ; /2', after: '/1 ; /3' },
  ])
})

t.test('a summary never throws, whatever the stored text (hostile or broken)', async (t) => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      const s = changeSummary(entry(2, 'update', b), entry(1, 'create', a))
      return typeof s === 'string' && s.length > 0
    }),
  )
  t.pass('no text made it throw')
})

t.test(
  'a rollback touches the prefixes whose dentries differ; rollouts on them are named',
  async (t) => {
    const entries = [entry(3, 'update', V2), entry(2, 'update', V1), entry(1, 'create', V1)]
    const check = planRollback(entries, etag(2))
    if (!check.ok) throw new Error(check.why)
    const prefixes = touchedPrefixes(check.plan.currentDtab, check.plan.target.dtab)
    t.same(prefixes, ['/host/world'])
    t.ok(touches(prefixes, '/host/world'), 'the rollout on /host/world is stopped by it')
    t.notOk(touches(prefixes, '/host'), 'one on /host is not: its dentry is unchanged')
    t.notOk(touches(prefixes, '/host/world/x'))
    t.same(touchedPrefixes(V1, V1), [], 'nothing changed, nothing touched')
    t.same(touchedPrefixes(null, '/a=>/b'), ['/a'], 'a re-created namespace touches all')
  },
)

t.test('a dashboard rollback is recorded as one, with the reason after it', async (t) => {
  t.equal(rollbackWhy('v7', ''), 'rollback to v7 (dashboard)')
  t.equal(rollbackWhy('v7', '  bad 5xx \n on v2 '), 'rollback to v7 (dashboard): bad 5xx on v2')
  t.same(whyHeaders('   '), {}, 'a blank reason sends no header')
  t.same(whyHeaders('rollback to v7 (dashboard)'), { 'l5d-why': 'rollback to v7 (dashboard)' })
})

t.test(
  'the header is the reason as UTF-8 bytes, one line, within namerd’s 512 characters',
  async (t) => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 700 }), (text) => {
        // What a rollback sends (history/api.ts restore): the cleaned reason's bytes.
        const clean = cleanWhy(text)
        const value = whyHeaderValue(clean)
        if (value === null) return clean === ''
        // A byte string: fetch accepts it (no char above U+00FF, no CR/LF/NUL).
        if (![...value].every((c) => c.charCodeAt(0) <= 0xff)) return false
        if (/[\r\n\0]/.test(value)) return false
        // namerd's reading: the bytes back as UTF-8, then its checks.
        const back = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'latin1'))
        return (
          back === clean &&
          [...back].length <= WHY_MAX_CHARS &&
          !/[\p{Cc}\u2028\u2029]/u.test(back) &&
          back === back.trim()
        )
      }),
    )
    t.equal(
      whyHeaderValue(cleanWhy('réglage → v2')),
      Buffer.from('réglage → v2').toString('latin1'),
    )
  },
)
