// The writer (rollouts/writer.ts), the only code that writes dtabs for rollouts, on the memory
// store: it writes on the version it read, re-applies on top of other dentries' changes, never
// overwrites a change to its own dentry, restores the exact dtab from before when nobody wrote
// since, and a new leader finding an intent adopts, redoes or stops.
import { Dtab } from '@switchyard/dtab'
import {
  type DtabStore,
  openMemoryStore,
  type VersionedRollout,
  versionToETag,
} from '@switchyard/store'
import type { Rollout } from '@switchyard/wire'
import t from 'tap'
import { dentryText, replaceWithDentry } from '../src/rollouts/dentry.js'
import { advance } from '../src/rollouts/machine.js'
import type { Judge } from '../src/rollouts/sources/source.js'
import { carryOutIntent } from '../src/rollouts/writer.js'

const NS = 'internal'
// The rollout's dentry sits between others, so a rewrite that moved it would show.
const DTAB =
  '/srv=>/#/io.l5d.fs;/host/world=>/srv/world-v1;/host/other=>/srv/other-v1;/srv/world-v2=>/#/io.l5d.fs/world-v2'
const V1 = '/host/world=>/srv/world-v1'
const STEP10 = '/host/world=>10.00*/srv/world-v2 & 90.00*/srv/world-v1'
const judge: Judge = () => ({ verdict: 'continue' })

function rollout(before: { version: string; dtab: string; dentry: string }): Rollout {
  const now = new Date().toISOString()
  return {
    prefix: '/host/world',
    from: '/srv/world-v1',
    to: '/srv/world-v2',
    steps: [10, 50, 100],
    intervalMs: 1000,
    progressDeadlineMs: 5000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 20 },
    smoke: null,
    gates: [],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: null,
    id: 'world-1',
    namespace: NS,
    phase: 'pending',
    step: null,
    pause: null,
    before,
    lastWritten: null,
    intent: null,
    requests: [],
    stepRecords: [],
    smokeResult: null,
    events: [],
    webhookDelivered: 0,
    createdBy: 'jenkins',
    createdAt: now,
    updatedAt: now,
    endedAt: null,
    outcome: null,
  }
}

async function setup() {
  const store = openMemoryStore()
  t.teardown(() => store.close())
  await store.create(NS, Dtab.read(DTAB))
  const cur = (await store.get(NS))!
  const before = { version: versionToETag(cur.version), dtab: Dtab.show(cur.dtab), dentry: V1 }
  const r = rollout(before)
  const version = await store.rollouts!.create(r)
  return { store, vr: { rollout: r, version } as VersionedRollout }
}

/** One move of the machine on what the store holds now, stored by CAS (as the controller does). */
async function move(
  store: DtabStore,
  vr: VersionedRollout,
  abort = false,
): Promise<VersionedRollout> {
  let r = vr.rollout
  if (abort) {
    r = {
      ...r,
      requests: [{ action: 'abort', who: 'alice', why: null, at: new Date().toISOString() }],
    }
  }
  const cur = (await store.get(NS))!
  const out = advance(r, {
    now: new Date(),
    who: 'controller@n1',
    dtab: { version: versionToETag(cur.version), dentry: dentryText(cur.dtab, r.prefix) },
    reading: null,
    smoke: null,
    judge,
  })
  const version = await store.rollouts!.update(out.next, vr.version)
  return { rollout: out.next, version }
}

/** Someone else's write: the dentry for `prefix` replaced by `text`. */
async function edit(store: DtabStore, text: string): Promise<string> {
  const cur = (await store.get(NS))!
  const next = replaceWithDentry(cur.dtab, text.slice(0, text.indexOf('=>')), text)!
  const version = await store.update(NS, next, cur.version, { who: 'bob' })
  return versionToETag(version)
}

const show = async (store: DtabStore): Promise<string> => Dtab.show((await store.get(NS))!.dtab)
const opts = (store: DtabStore, replicaId = 'n1') => ({
  store,
  rollouts: store.rollouts!,
  replicaId,
})

t.test('the first write is made on the version the rollout started from', async (t) => {
  const { store, vr } = await setup()
  const pending = await move(store, vr)
  t.equal(pending.rollout.intent?.basedOn, vr.rollout.before.version)
  const report = await carryOutIntent(opts(store), pending)
  t.equal(report.outcome, 'written')
  t.equal(await show(store), DTAB.replace(V1, STEP10), 'only the dentry changed, in place')
  const stored = (await store.rollouts!.get(NS, 'world-1'))!.rollout
  t.equal(stored.intent, null)
  t.same(stored.lastWritten, { version: report.dtabVersion, dentry: STEP10 })
  t.equal(stored.stepRecords[0]?.shiftedVersion, report.dtabVersion)
  const history = await store.history(NS)
  t.match(history[0], { who: 'rollout world-1@n1 for jenkins' })
  t.match(history[0]?.why, /shifting 10%/)
})

t.test('a write that loses a race with another dentry is applied on top of it', async (t) => {
  const { store, vr } = await setup()
  const pending = await move(store, vr)
  // Someone changes /host/other between the writer's read and its write.
  let raced = false
  const racing: DtabStore = Object.create(store, {
    update: {
      value: async (...args: Parameters<DtabStore['update']>) => {
        if (!raced) {
          raced = true
          await edit(store, '/host/other=>/srv/other-v2')
        }
        return store.update(...args)
      },
    },
  })
  const report = await carryOutIntent({ ...opts(store), store: racing }, pending)
  t.ok(raced)
  t.equal(report.outcome, 'written')
  t.equal(
    await show(store),
    DTAB.replace(V1, STEP10).replace('/host/other=>/srv/other-v1', '/host/other=>/srv/other-v2'),
    "both: the other change kept, the rollout's dentry written",
  )
})

t.test('a change to its own dentry stops the rollout; nothing is written', async (t) => {
  const { store, vr } = await setup()
  const pending = await move(store, vr)
  await edit(store, '/host/world=>/srv/world-v3')
  const was = await show(store)
  const report = await carryOutIntent(opts(store), pending)
  t.equal(report.outcome, 'conflict')
  t.equal(await show(store), was, 'the manual change survives')
  t.equal(report.rollout?.rollout.phase, 'stopped')
  t.match(
    report.rollout?.rollout.outcome,
    /conflict: the dentry for \/host\/world is \/host\/world=>\/srv\/world-v3/,
  )
  t.equal((await store.history(NS)).length, 2, 'the create and bob: nothing else')
})

/** A rollout at step 1 (written), then asked to abort: its rollback intent stored. */
async function rollingBack(store: DtabStore, vr: VersionedRollout) {
  const written = (await carryOutIntent(opts(store), await move(store, vr))).rollout!
  return written
}

t.test(
  'a rollback with nobody writing since restores the dtab from before, byte for byte',
  async (t) => {
    const { store, vr } = await setup()
    const written = await rollingBack(store, vr)
    const back = await move(store, written, true)
    t.equal(back.rollout.intent?.purpose, 'rollback')
    const report = await carryOutIntent(opts(store), back)
    t.equal(report.outcome, 'written')
    t.equal(await show(store), vr.rollout.before.dtab)
    t.equal(report.rollout?.rollout.phase, 'aborted')
  },
)

t.test('a rollback after others wrote restores the dentry alone', async (t) => {
  const { store, vr } = await setup()
  const written = await rollingBack(store, vr)
  await edit(store, '/host/other=>/srv/other-v2')
  const back = await move(store, written, true)
  const report = await carryOutIntent(opts(store), back)
  t.equal(report.outcome, 'written')
  t.equal(
    await show(store),
    DTAB.replace('/host/other=>/srv/other-v1', '/host/other=>/srv/other-v2'),
    "the other change kept; the rollout's dentry as before",
  )
  t.equal(report.rollout?.rollout.phase, 'aborted')
})

t.test(
  'a rollback keeps what others wrote between its start and its first write (another rollout of the namespace)',
  async (t) => {
    const { store, vr } = await setup()
    // Another prefix moved after this rollout started but before its first write: the dtab's
    // version is still the one this rollout last wrote at its rollback, yet `before` is older.
    await edit(store, '/host/other=>/srv/other-v2')
    const written = await rollingBack(store, vr)
    const back = await move(store, written, true)
    const report = await carryOutIntent(opts(store), back)
    t.equal(report.outcome, 'written')
    t.equal(
      await show(store),
      DTAB.replace('/host/other=>/srv/other-v1', '/host/other=>/srv/other-v2'),
      "the other prefix's change kept; only this rollout's dentry restored",
    )
  },
)

t.test('a rollback finding its dentry changed stops and writes nothing', async (t) => {
  const { store, vr } = await setup()
  const written = await rollingBack(store, vr)
  const back = await move(store, written, true)
  await edit(store, '/host/world=>/srv/world-v3')
  const was = await show(store)
  const report = await carryOutIntent(opts(store), back)
  t.equal(report.outcome, 'conflict')
  t.equal(await show(store), was)
  t.equal(report.rollout?.rollout.phase, 'stopped')
  t.match(
    report.rollout?.rollout.outcome,
    /the rollback would have written \/host\/world=>\/srv\/world-v1/,
  )
})

t.test('a new leader finding an intent adopts, redoes or stops', async (t) => {
  t.test('adopts a write the old leader made but did not record', async (t) => {
    const { store, vr } = await setup()
    const pending = await move(store, vr)
    const made = await edit(store, STEP10) // the old leader's write, then it died
    const entries = (await store.history(NS)).length
    const report = await carryOutIntent(opts(store, 'n2'), pending)
    t.equal(report.outcome, 'adopted')
    t.equal(report.dtabVersion, made)
    t.equal((await store.history(NS)).length, entries, 'no second write')
    t.same(report.rollout?.rollout.lastWritten, { version: made, dentry: STEP10 })
    t.equal(report.rollout?.rollout.intent, null)
  })
  t.test('redoes a write the old leader never made', async (t) => {
    const { store, vr } = await setup()
    const pending = await move(store, vr)
    const report = await carryOutIntent(opts(store, 'n2'), pending)
    t.equal(report.outcome, 'written')
    t.equal(await show(store), DTAB.replace(V1, STEP10))
    t.match((await store.history(NS))[0], { who: 'rollout world-1@n2 for jenkins' })
  })
  t.test('stops when someone else changed the dentry meanwhile', async (t) => {
    const { store, vr } = await setup()
    const pending = await move(store, vr)
    await edit(store, '/host/world=>/srv/world-v3')
    const report = await carryOutIntent(opts(store, 'n2'), pending)
    t.equal(report.outcome, 'conflict')
    t.equal(report.rollout?.rollout.phase, 'stopped')
  })
  t.test('does nothing when the intent was already recorded by another', async (t) => {
    const { store, vr } = await setup()
    const pending = await move(store, vr)
    await carryOutIntent(opts(store, 'n1'), pending)
    const entries = (await store.history(NS)).length
    const report = await carryOutIntent(opts(store, 'n2'), pending)
    t.equal(report.outcome, 'superseded')
    t.equal((await store.history(NS)).length, entries)
  })
})

t.test("the first step's write carries the rollout's reason in its why", async (t) => {
  const { store, vr } = await setup()
  const withReason = { ...vr.rollout, reason: 'build #512' }
  const version = await store.rollouts!.update(withReason, vr.version)
  const pending = await move(store, { rollout: withReason, version })
  await carryOutIntent(opts(store), pending)
  const history = await store.history(NS)
  t.match(history[0]?.why, /step 1 of 3 \(10%\).*; build #512$/)
})

t.test("a rollback's write says rollback: first in its why", async (t) => {
  const { store, vr } = await setup()
  const written = await rollingBack(store, vr)
  const back = await move(store, written, true)
  await carryOutIntent(opts(store), back)
  const history = await store.history(NS)
  t.match(history[0]?.why, /^rollback: aborted/)
  t.equal(history[1]?.why?.startsWith('rollback: '), false, 'the step write is not a rollback')
})
