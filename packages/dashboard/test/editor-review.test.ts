// What the dtab editor's review says before a save: the active rollouts the edit would stop (their
// dentry changed), the reason sent as l5d-why (checked as namerd checks it, sent as UTF-8 bytes),
// and the unsaved edit kept per namespace while the user is on another tab.
import type { RolloutSummary } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { whyHeaders, whyProblem } from '../src/api/why.js'
import { draftKey, keepDraft, loadDraft, parseDraft } from '../src/editor/draft.js'
import { rolloutState, touchedRollouts } from '../src/editor/rollouts.js'
import { rolloutSummary } from './rollout-fixture.js'

/** An active rollout of `internal`, waiting at its gate. */
const rollout = (over: Partial<RolloutSummary> = {}): RolloutSummary =>
  rolloutSummary({
    id: 'world-1',
    namespace: 'internal',
    phase: 'gate',
    before: { version: 'AAAAAAAAAAE=', dtab: '', dentry: '/host/world=>/srv/world-v1' },
    createdBy: 'ci',
    ...over,
  })

const STORED = `/srv => /#/io.l5d.fs;
/host => /srv;
/svc => /host;
/host/world => 0.10 * /srv/world-v2 & 0.90 * /srv/world-v1;`

t.test('an edit of a rollout’s dentry names the rollout; other edits do not', async (t) => {
  const r = rollout()
  const weight = STORED.replace('0.10 * /srv/world-v2 & 0.90', '0.50 * /srv/world-v2 & 0.50')
  const touched = touchedRollouts(STORED, weight, [r])
  t.equal(touched.length, 1)
  t.equal(touched[0]!.rollout, r)
  t.equal(touched[0]!.before, '/host/world=>0.10*/srv/world-v2 & 0.90*/srv/world-v1')
  t.equal(touched[0]!.after, '/host/world=>0.50*/srv/world-v2 & 0.50*/srv/world-v1')

  const removed = touchedRollouts(STORED, STORED.split('\n').slice(0, 3).join('\n'), [r])
  t.equal(removed[0]?.after, null, 'removing the dentry stops it too')

  const shadowed = `${STORED}\n/host/world => /srv/world-v3;`
  t.equal(touchedRollouts(STORED, shadowed, [r]).length, 1, 'a later dentry of the prefix wins')

  const other = `${STORED}\n/svc/extra => /srv/world-v1;`
  t.same(touchedRollouts(STORED, other, [r]), [], 'another prefix leaves it alone')
  const spaced = STORED.replace(/ => /g, '=>').replace(/\n/g, ' ')
  t.same(touchedRollouts(STORED, spaced, [r]), [], 'spacing is not a change')
  t.same(
    touchedRollouts(STORED, weight, [
      rollout({ phase: 'succeeded' }),
      rollout({ phase: 'aborted' }),
    ]),
    [],
    'an ended rollout is not stopped by anything',
  )
  t.same(touchedRollouts(STORED, `${weight} =>>`, [r]), [], 'an edit that does not parse: none')
  t.same(
    touchedRollouts(STORED, weight, [rollout({ prefix: 'not a prefix' })]),
    [],
    'a prefix that does not read never throws',
  )
})

t.test('the warning names the step as the rollouts list does (audit16b L2)', async (t) => {
  // Waiting at the gate before 50%: traffic is at step 1 (10%), not "step 2 of 3".
  const gated = rollout({
    step: 1,
    lastWritten: {
      version: 'AAAAAAAAAAU=',
      dentry: '/host/world=>0.10*/srv/world-v2 & 0.90*/srv/world-v1',
    },
  })
  t.equal(rolloutState(gated), 'gate, 1 of 3 (10%), gate before 50%')
  t.equal(rolloutState(rollout({ phase: 'pending', step: null })), 'pending')
})

t.test('a reason is checked as namerd checks l5d-why', async (t) => {
  t.equal(whyProblem(''), null)
  t.equal(whyProblem('  shift world to v2 after the canary  '), null)
  t.match(whyProblem('two\nlines'), /one line/)
  t.match(whyProblem('tab\there'), /one line/)
  t.match(whyProblem('x'.repeat(513)), /513 characters .* at most 512/)
  t.equal(whyProblem('é'.repeat(512)), null, 'characters, not bytes')
  t.same(whyHeaders('   '), {}, 'blank: no header')
  t.same(whyHeaders(' ok '), { 'l5d-why': 'ok' })
})

t.test('the header carries the reason’s UTF-8 bytes, which namerd reads back', async () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (why) => {
      const value = whyHeaders(why)['l5d-why']
      if (why.trim() === '') return value === undefined
      // fetch accepts only ISO-8859-1 chars in a header value.
      if (value === undefined || [...value].some((c) => c.charCodeAt(0) > 0xff)) return false
      const bytes = Uint8Array.from(value, (c) => c.charCodeAt(0))
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes) === why.trim()
    }),
  )
})

t.test('a draft is kept per namespace, read back checked, and cleared', async (t) => {
  const mem = new Map<string, string>()
  const store = {
    getItem: (k: string) => mem.get(k) ?? null,
    setItem: (k: string, v: string) => void mem.set(k, v),
    removeItem: (k: string) => void mem.delete(k),
  }
  const draft = { text: '/a => /b ;\n', base: { dtab: '/a=>/c', version: 'AAAAAAAAAAE=' } }
  keepDraft(store, 'internal', draft)
  t.same(loadDraft(store, 'internal'), draft)
  t.equal(loadDraft(store, 'other'), null, 'per namespace')
  keepDraft(store, 'internal', null)
  t.equal(loadDraft(store, 'internal'), null, 'cleared')
  t.equal(loadDraft(null, 'internal'), null, 'no storage: no draft')

  for (const hostile of [
    '{',
    '[]',
    '{"text":1}',
    '{"text":"x","base":{"dtab":"","version":"", "x":1}}',
    '"x"',
    'null',
  ]) {
    t.equal(parseDraft(hostile), null, `not a draft: ${hostile}`)
  }
  const refusing = {
    getItem: () => {
      throw new Error('SecurityError')
    },
    setItem: () => {
      throw new Error('QuotaExceededError')
    },
    removeItem: () => {
      throw new Error('SecurityError')
    },
  }
  t.equal(loadDraft(refusing, 'internal'), null, 'storage that throws is no draft')
  keepDraft(refusing, 'internal', draft)
  t.pass('and keeping one there does not throw')
  t.equal(draftKey('a b'), 'switchyard.dtab-draft.a b')
})
