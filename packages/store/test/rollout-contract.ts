// The RolloutStore and LeaseStore contract (docs/design/rollouts.md §2): every backend runs this
// suite through the same harness it gives storeContract, plus an optional way to corrupt one
// stored rollout. Each test opens a fresh, empty store.
import { Dtab } from '@switchyard/dtab'
import type { Rollout } from '@switchyard/wire'
import t from 'tap'
import {
  CorruptEntryError,
  type DtabStore,
  type LeaseStore,
  RolloutActiveError,
  RolloutExistsError,
  RolloutNotFoundError,
  type RolloutStore,
  type RolloutStoreEvent,
  VersionMismatchError,
  versionsEqual,
} from '../src/index.js'
import { LeaseElector } from '../src/lease-elector.js'
import { type Harness, type HarnessOptions, Reader } from './contract.js'

export interface RolloutHarness extends Harness {
  /** Stores garbage as the rollout's entry, as a bad disk or a hand edit would. */
  readonly corruptRollout?: (namespace: string, id: string) => Promise<void>
}

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A valid pending rollout; `overrides` changes any field. */
export function sampleRollout(overrides: Partial<Rollout> = {}): Rollout {
  const now = new Date().toISOString()
  return {
    prefix: '/host/world',
    from: '/srv/world-v1',
    to: '/srv/world-v2',
    steps: [10, 50, 100],
    intervalMs: 1000,
    progressDeadlineMs: 10_000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: 300, minRequests: 20 },
    smoke: null,
    gates: [],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: null,
    id: 'world-1',
    namespace: 'web',
    phase: 'pending',
    step: null,
    pause: null,
    before: {
      version: 'AAAAAAAAAAE=',
      dtab: '/host/world=>/srv/world-v1',
      dentry: '/host/world=>/srv/world-v1',
    },
    lastWritten: null,
    intent: null,
    requests: [],
    stepRecords: [],
    smokeResult: null,
    events: [],
    webhookDelivered: 0,
    createdBy: 'tester',
    createdAt: now,
    updatedAt: now,
    endedAt: null,
    outcome: null,
    ...overrides,
  }
}

/** The rollout moved to a terminal phase. */
function ended(r: Rollout, phase: Rollout['phase'] = 'succeeded'): Rollout {
  const now = new Date().toISOString()
  return { ...r, phase, endedAt: now, updatedAt: now, outcome: 'done' }
}

function facets(store: DtabStore): { rollouts: RolloutStore; leases: LeaseStore } {
  if (!store.rollouts || !store.leases)
    throw new Error(`the ${store.kind} store has no rollouts/leases facet`)
  return { rollouts: store.rollouts, leases: store.leases }
}

function show(e: RolloutStoreEvent): string {
  switch (e.type) {
    case 'rollout':
      return `${e.rollout.namespace}/${e.rollout.id} ${e.rollout.phase} ${e.rollout.webhookDelivered}`
    case 'removed':
      return `removed ${e.namespace}/${e.id}`
    case 'synced':
      return 'synced'
  }
}

export function rolloutContract(
  name: string,
  open: (options?: HarnessOptions) => Promise<RolloutHarness>,
): void {
  function test(title: string, body: (t: Test, h: RolloutHarness) => Promise<void>) {
    t.test(`${name} rollouts: ${title}`, async (t) => {
      const h = await open()
      t.teardown(async () => {
        await h.store.close()
        await h.cleanup()
      })
      await body(t, h)
    })
  }

  // --- rollouts ------------------------------------------------------------------------------

  test('create stores a rollout that get and list return', async (t, { store }) => {
    const { rollouts } = facets(store)
    t.equal(await rollouts.get('web', 'world-1'), null)
    t.same(await rollouts.list(), [])
    const a = sampleRollout()
    const v = await rollouts.create(a)
    t.ok(v instanceof Uint8Array && v.length > 0, 'create returns a version')
    const got = await rollouts.get('web', 'world-1')
    t.same(got?.rollout, a)
    t.ok(versionsEqual(got!.version, v), 'get returns the version create returned')
    const b = sampleRollout({ id: 'api-1', namespace: 'api', prefix: '/host/api' })
    await rollouts.create(b)
    const later = new Date(Date.now() + 1000).toISOString()
    const done = sampleRollout({ id: 'old-1', prefix: '/host/old', createdAt: later })
    const vd = await rollouts.create(done)
    await rollouts.update(ended(done), vd)
    t.same(
      (await rollouts.list()).map((r) => `${r.rollout.namespace}/${r.rollout.id}`),
      ['api/api-1', 'web/world-1', 'web/old-1'],
      'sorted by namespace, then createdAt',
    )
    t.same(
      (await rollouts.list({ namespace: 'api' })).map((r) => r.rollout.id),
      ['api-1'],
    )
    t.same(
      (await rollouts.list({ namespace: 'web', active: true })).map((r) => r.rollout.id),
      ['world-1'],
    )
    t.same(
      (await rollouts.list({ active: false })).map((r) => r.rollout.id),
      ['old-1'],
    )
    await t.rejects(rollouts.create(sampleRollout({ prefix: '/host/other' })), RolloutExistsError)
  })

  test('a second active rollout on the same prefix is refused and changes nothing', async (t, {
    store,
  }) => {
    const { rollouts } = facets(store)
    const v = await rollouts.create(sampleRollout())
    const err = await rollouts.create(sampleRollout({ id: 'world-2' })).catch((e: unknown) => e)
    t.ok(err instanceof RolloutActiveError, 'RolloutActiveError')
    t.match(err, { code: 'rollout_active', status: 409, activeId: 'world-1', message: /world-1/ })
    t.equal(await rollouts.get('web', 'world-2'), null)
    t.equal((await rollouts.list()).length, 1)
    t.ok(
      versionsEqual((await rollouts.get('web', 'world-1'))!.version, v),
      'the active one is untouched',
    )
    // Another namespace, or another prefix, is free.
    await rollouts.create(sampleRollout({ id: 'world-2', namespace: 'api' }))
    await rollouts.create(sampleRollout({ id: 'world-3', prefix: '/host/world2' }))
    t.equal((await rollouts.list()).length, 3)
  })

  test('after a terminal update the prefix is free', async (t, { store }) => {
    const { rollouts } = facets(store)
    const a = sampleRollout()
    const v1 = await rollouts.create(a)
    const v2 = await rollouts.update({ ...a, phase: 'step', step: 0 }, v1)
    await t.rejects(rollouts.create(sampleRollout({ id: 'world-2' })), RolloutActiveError)
    await rollouts.update(ended({ ...a, phase: 'step', step: 0 }, 'rolled-back'), v2)
    await rollouts.create(sampleRollout({ id: 'world-2' }))
    t.same(
      (await rollouts.list({ active: true })).map((r) => r.rollout.id),
      ['world-2'],
    )
  })

  test('update with a stale version is refused and changes nothing', async (t, { store }) => {
    const { rollouts } = facets(store)
    const a = sampleRollout()
    const v1 = await rollouts.create(a)
    const v2 = await rollouts.update({ ...a, webhookDelivered: 1 }, v1)
    t.notOk(versionsEqual(v1, v2))
    const err = await rollouts.update({ ...a, webhookDelivered: 7 }, v1).catch((e: unknown) => e)
    t.ok(err instanceof VersionMismatchError, 'VersionMismatchError')
    t.match(err, { code: 'version_mismatch', status: 412 })
    const got = await rollouts.get('web', 'world-1')
    t.equal(got!.rollout.webhookDelivered, 1)
    t.ok(versionsEqual(got!.version, v2))
    await t.rejects(
      rollouts.update(sampleRollout({ id: 'nope' }), v2),
      RolloutNotFoundError,
      'update of a missing rollout: RolloutNotFoundError',
    )
  })

  test('20 concurrent compare-and-swap updaters lose nothing', async (t, { store }) => {
    const { rollouts } = facets(store)
    await rollouts.create(sampleRollout())
    let conflicts = 0
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (;;) {
          const cur = (await rollouts.get('web', 'world-1'))!
          try {
            await rollouts.update(
              { ...cur.rollout, webhookDelivered: cur.rollout.webhookDelivered + 1 },
              cur.version,
            )
            return
          } catch (err) {
            if (!(err instanceof VersionMismatchError)) throw err
            conflicts++
          }
        }
      }),
    )
    t.equal((await rollouts.get('web', 'world-1'))!.rollout.webhookDelivered, 20)
    t.comment(`${conflicts} conflicts retried`)
  })

  test('watch sends every rollout, then synced, then each change in order', async (t, {
    store,
  }) => {
    const { rollouts } = facets(store)
    const a = sampleRollout()
    let va = await rollouts.create(a)
    await rollouts.create(sampleRollout({ id: 'api-1', namespace: 'api' }))
    const w = new Reader(rollouts.watch())
    t.teardown(() => w.close())
    const first = [show(await w.next()), show(await w.next())].sort()
    t.same(first, ['api/api-1 pending 0', 'web/world-1 pending 0'])
    t.equal(show(await w.next()), 'synced')
    for (let i = 1; i <= 5; i++) va = await rollouts.update({ ...a, webhookDelivered: i }, va)
    for (let i = 1; i <= 5; i++) t.equal(show(await w.next()), `web/world-1 pending ${i}`)
    await rollouts.create(sampleRollout({ id: 'world-2', prefix: '/host/x' }))
    const e = await w.next()
    t.equal(show(e), 'web/world-2 pending 0')
    t.ok(
      e.type === 'rollout' &&
        versionsEqual(e.version, (await rollouts.get('web', 'world-2'))!.version),
      'the event carries the version',
    )
    const done = await rollouts.update(ended({ ...a, webhookDelivered: 5 }), va)
    t.ok(done)
    t.equal(show(await w.next()), 'web/world-1 succeeded 5')
    t.equal(
      await rollouts.prune(new Date(Date.now() + 60_000), 0),
      1,
      'prune removes the ended one',
    )
    t.equal(show(await w.next()), 'removed web/world-1')
    t.ok(await w.quiet(100), 'nothing more')
  })

  test("a slow watcher stays bounded and still ends at every rollout's latest state", async (t, {
    store,
  }) => {
    const { rollouts } = facets(store)
    const w = new Reader(rollouts.watch({ maxPending: 4 }))
    t.teardown(() => w.close())
    t.equal(show(await w.next()), 'synced')
    const a = sampleRollout()
    const b = sampleRollout({ id: 'api-1', namespace: 'api' })
    let va = await rollouts.create(a)
    let vb = await rollouts.create(b)
    for (let i = 1; i <= 30; i++) {
      va = await rollouts.update({ ...a, webhookDelivered: i }, va)
      vb = await rollouts.update({ ...b, webhookDelivered: i * 2 }, vb)
    }
    const latest = new Map<string, string>()
    for (;;) {
      if (
        latest.get('web/world-1') === 'web/world-1 pending 30' &&
        latest.get('api/api-1') === 'api/api-1 pending 60'
      )
        break
      const e = await w.next(5000)
      if (e.type === 'rollout') latest.set(`${e.rollout.namespace}/${e.rollout.id}`, show(e))
    }
    t.pass('both rollouts reached their latest state')
  })

  test('prune removes terminal rollouts that ended before a time, keeping the newest per namespace', async (t, {
    store,
  }) => {
    const { rollouts } = facets(store)
    for (let i = 1; i <= 3; i++) {
      const r = sampleRollout({ id: `old-${i}`, prefix: `/host/p${i}` })
      const v = await rollouts.create(r)
      await rollouts.update(
        { ...ended(r), endedAt: new Date(Date.UTC(2020, 0, i)).toISOString() },
        v,
      )
    }
    await rollouts.create(sampleRollout({ id: 'active-1', prefix: '/host/live' }))
    t.equal(await rollouts.prune(new Date(), 1), 2)
    t.same((await rollouts.list()).map((r) => r.rollout.id).sort(), ['active-1', 'old-3'])
    t.equal(await rollouts.prune(new Date(), 0), 1)
    t.same(
      (await rollouts.list()).map((r) => r.rollout.id),
      ['active-1'],
      'active ones stay',
    )
  })

  test('two instances on the same backing agree', async (t, h) => {
    if (!h.reopen) return void t.pass('this backend has no shared state')
    const other = await h.reopen()
    t.teardown(() => other.close())
    const one = facets(h.store).rollouts
    const two = facets(other).rollouts
    const v1 = await one.create(sampleRollout())
    const got = await two.get('web', 'world-1')
    t.ok(got && versionsEqual(got.version, v1), 'the other sees it at the same version')
    await t.rejects(
      two.create(sampleRollout({ id: 'world-2' })),
      RolloutActiveError,
      'and the active rule',
    )
    await two.update({ ...got!.rollout, webhookDelivered: 3 }, got!.version)
    await t.rejects(one.update({ ...got!.rollout, webhookDelivered: 4 }, v1), VersionMismatchError)
    t.equal((await one.get('web', 'world-1'))!.rollout.webhookDelivered, 3)
    const w = new Reader(two.watch())
    t.teardown(() => w.close())
    t.equal(show(await w.next()), 'web/world-1 pending 3')
    t.equal(show(await w.next()), 'synced')
    const cur = (await one.get('web', 'world-1'))!
    await one.update(ended(cur.rollout), cur.version)
    t.equal(show(await w.next()), 'web/world-1 succeeded 3', "the other's watch sees the change")
  })

  test('a corrupt rollout entry fails that rollout only', async (t, h) => {
    if (!h.corruptRollout) return void t.pass('this backend cannot hold a corrupt rollout')
    const { rollouts } = facets(h.store)
    await rollouts.create(sampleRollout())
    await rollouts.create(sampleRollout({ id: 'api-1', namespace: 'api' }))
    await h.corruptRollout('web', 'world-1')
    await t.rejects(rollouts.get('web', 'world-1'), CorruptEntryError)
    t.same(
      (await rollouts.list()).map((r) => r.rollout.id),
      ['api-1'],
      'list skips it',
    )
    const w = new Reader(rollouts.watch())
    t.teardown(() => w.close())
    t.equal(show(await w.next()), 'api/api-1 pending 0', 'watch skips it')
    t.equal(show(await w.next()), 'synced')
    t.ok(await rollouts.get('api', 'api-1'), 'the others still read')
  })

  // --- history's why -------------------------------------------------------------------------

  test('why round-trips through history; writes without one read null', async (t, { store }) => {
    const v1 = await store.create('web', Dtab.read('/a => /b'), { who: 'alice' })
    await store.update('web', Dtab.read('/a => /c'), v1, {
      who: 'rollout world-1@namerd-1 for alice',
      why: 'step 1 of 3: 10% to /srv/world-v2',
    })
    const [second, first] = await store.history('web')
    t.equal(second!.why, 'step 1 of 3: 10% to /srv/world-v2')
    t.equal(second!.who, 'rollout world-1@namerd-1 for alice')
    t.equal(first!.why ?? null, null)
  })

  // --- leases --------------------------------------------------------------------------------

  const lease = (holder: string | null, data: string | null = null) => ({
    holder,
    durationMs: 1000,
    acquiredAt: holder ? new Date() : null,
    renewedAt: holder ? new Date() : null,
    transitions: 0,
    data,
  })

  test('a lease is taken by exactly one of 10 concurrent writers', async (t, { store }) => {
    const { leases } = facets(store)
    t.equal(await leases.get('rollouts-leader'), null)
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => leases.write('rollouts-leader', lease(`r${i}`), null)),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    t.equal(won.length, 1, 'one winner')
    for (const r of results)
      if (r.status === 'rejected') t.ok(r.reason instanceof VersionMismatchError)
    const got = await leases.get('rollouts-leader')
    t.equal(got?.holder, (won[0] as PromiseFulfilledResult<{ holder: string }>).value.holder)
    t.equal(got?.name, 'rollouts-leader')
  })

  test('renew with a stale version fails; release frees the lease', async (t, { store }) => {
    const { leases } = facets(store)
    const a = await leases.write('rollouts-leader', lease('a', '{"x":1}'), null)
    t.equal(a.data, '{"x":1}')
    const renewed = await leases.write(
      'rollouts-leader',
      { ...lease('a'), renewedAt: new Date() },
      a.version,
    )
    t.notOk(versionsEqual(a.version, renewed.version), 'a renewal is a new version')
    await t.rejects(leases.write('rollouts-leader', lease('b'), a.version), VersionMismatchError)
    t.equal((await leases.get('rollouts-leader'))?.holder, 'a')
    const released = await leases.write('rollouts-leader', lease(null), renewed.version)
    t.equal(released.holder, null)
    const b = await leases.write(
      'rollouts-leader',
      { ...lease('b'), transitions: 1 },
      released.version,
    )
    t.equal(b.holder, 'b')
    t.equal((await leases.get('rollouts-leader'))?.transitions, 1)
    await t.rejects(leases.delete('rollouts-leader', a.version), VersionMismatchError)
    await leases.delete('rollouts-leader', b.version)
    t.equal(await leases.get('rollouts-leader'), null)
    await t.rejects(leases.write('x', lease('a', 'y'.repeat(64 * 1024 + 1)), null), {
      code: 'invalid_lease',
    })
    await t.rejects(leases.write('Bad Name', lease('a'), null), { code: 'invalid_lease' })
  })

  test('leases list by prefix, sorted', async (t, { store }) => {
    const { leases } = facets(store)
    await leases.write('replica.b', lease('b', '[]'), null)
    await leases.write('replica.a', lease('a', '[]'), null)
    await leases.write('rollouts-leader', lease('a'), null)
    t.same(
      (await leases.list('replica.')).map((l) => l.name),
      ['replica.a', 'replica.b'],
    )
    t.same((await leases.list('')).length, 3)
  })

  test('the elector on two instances: exactly one leader; the other takes over after a kill', async (t, h) => {
    const other = h.reopen ? await h.reopen() : h.store
    if (other !== h.store) t.teardown(() => other.close())
    const durationMs = 600
    const state = { a: false, b: false, deposed: 0 }
    const make = (store: DtabStore, who: 'a' | 'b') =>
      new LeaseElector({
        leases: facets(store).leases,
        name: 'rollouts-leader',
        holder: who,
        durationMs,
        onElected: () => {
          state[who] = true
        },
        onDeposed: () => {
          state[who] = false
          state.deposed++
        },
      })
    const a = make(h.store, 'a')
    const b = make(other, 'b')
    t.teardown(() => a.close({ release: true }))
    t.teardown(() => b.close({ release: true }))
    a.start()
    b.start()
    const until = async (ok: () => boolean, ms: number, what: string) => {
      const deadline = Date.now() + ms
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
        await sleep(10)
      }
    }
    await until(() => a.isLeader || b.isLeader, 5000, 'a leader')
    // Over two lease durations, never two leaders.
    let both = 0
    for (let i = 0; i < 40; i++) {
      if (a.isLeader && b.isLeader) both++
      await sleep(durationMs / 20)
    }
    t.equal(both, 0, 'never two leaders')
    t.ok(a.isLeader !== b.isLeader, 'exactly one leader')
    const [leader, follower, followerName] = a.isLeader
      ? [a, b, 'b' as const]
      : [b, a, 'a' as const]
    const killedAt = Date.now()
    await leader.close({ release: false })
    await until(() => follower.isLeader, durationMs * 5, 'takeover')
    t.ok(state[followerName], 'onElected called')
    t.comment(`took over ${Date.now() - killedAt} ms after the kill (lease ${durationMs} ms)`)
    // A clean shutdown releases: a third elector takes over without waiting out the lease.
    await follower.close({ release: true })
    t.equal((await facets(h.store).leases.get('rollouts-leader'))?.holder, null, 'released')
    const c = make(h.store, 'a')
    t.teardown(() => c.close({ release: true }))
    c.start()
    await until(() => c.isLeader, durationMs, 'a released lease is taken at once')
  })
}
