// The k8s store's rollouts and leases on the fake API server, as Kubernetes objects: what a
// Rollout and a Lease look like to kubectl, the one-active-per-prefix marker (taken, refused,
// freed, stale), compare-and-swap by resourceVersion, watches. The behaviour every backend
// shares is rolloutContract's (rollout-contract.ts), run at the end of this file.
import type { FakeKubeApi, JsonObject } from '@switchyard/kube-fake'
import type { Rollout } from '@switchyard/wire'
import t from 'tap'
import {
  InvalidLeaseError,
  type K8sStore,
  RolloutActiveError,
  RolloutExistsError,
  RolloutNotFoundError,
  type RolloutStoreEvent,
  VersionMismatchError,
  versionsEqual,
} from '../src/index.js'
import { leaseObjectName, microTime } from '../src/k8s-leases.js'
import { hash16, markerName, STALE_MARKER_MS } from '../src/rollouts-k8s.js'
import { CRD_DIR, k8sHarness, openOn, startFake } from './k8s-harness.js'
import { rolloutContract } from './rollout-contract.js'

const ROLLOUT_API = 'switchyard.io/v1alpha1'
const LEASE_API = 'coordination.k8s.io/v1'

function sample(id: string, overrides: Partial<Rollout> = {}): Rollout {
  const now = '2026-12-05T04:48:12.000Z'
  return {
    prefix: '/host/world',
    from: '/srv/world-v1',
    to: '/srv/world-v2',
    steps: [10, 50, 100],
    intervalMs: 300,
    progressDeadlineMs: 3000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 20 },
    smoke: null,
    gates: [],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: null,
    id,
    namespace: 'internal',
    phase: 'pending',
    step: null,
    pause: null,
    before: {
      version: '"1"',
      dtab: '/host/world=>/srv/world-v1;',
      dentry: '/host/world=>/srv/world-v1',
    },
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
    ...overrides,
  }
}

function ended(r: Rollout, phase: Rollout['phase'] = 'succeeded'): Rollout {
  return { ...r, phase, endedAt: '2026-12-05T04:50:00.000Z', outcome: 'done' }
}

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

async function fixture(t: Test) {
  const api = await startFake()
  const store = await openOn(api)
  t.teardown(async () => {
    await store.close()
    await api.close()
  })
  return { api, store }
}

function rolloutsOf(store: K8sStore) {
  const r = store.rollouts
  if (!r) throw new Error('the k8s store has no rollouts facet')
  return r
}
function leasesOf(store: K8sStore) {
  const l = store.leases
  if (!l) throw new Error('the k8s store has no leases facet')
  return l
}

function holderOf(lease: JsonObject | null): string | undefined {
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity
}

function marker(api: FakeKubeApi, prefix = '/host/world'): JsonObject | null {
  return api.get({
    apiVersion: LEASE_API,
    kind: 'Lease',
    namespace: 'default',
    name: markerName('internal', prefix),
  })
}

t.test('a rollout is a Rollout object: spec, status, labels, named <ns>.<id>', async (t) => {
  const { api, store } = await fixture(t)
  const rollouts = rolloutsOf(store)
  const version = await rollouts.create(sample('world-1'))
  const object = api.get({
    apiVersion: ROLLOUT_API,
    kind: 'Rollout',
    namespace: 'default',
    name: 'internal.world-1',
  })
  if (object === null) throw new Error('no Rollout object')
  const meta = object.metadata as { labels: Record<string, string>; resourceVersion: string }
  t.same(meta.labels, {
    'switchyard.io/dtab-namespace': 'internal',
    'switchyard.io/prefix-hash': hash16('/host/world'),
    'switchyard.io/active': 'true',
  })
  t.equal(new TextDecoder().decode(version), meta.resourceVersion, 'version = resourceVersion')
  const spec = object.spec as Record<string, unknown>
  const status = object.status as Record<string, unknown>
  t.equal(spec.prefix, '/host/world')
  t.same(spec.steps, [10, 50, 100])
  t.notOk('phase' in spec, 'the phase is status')
  t.equal(status.phase, 'pending')
  t.equal(status.id, 'world-1')
  t.notOk('prefix' in status, 'the prefix is spec')
  t.equal(hash16('/host/world').length, 16)

  const got = await rollouts.get('internal', 'world-1')
  t.same(got?.rollout, sample('world-1'), 'reads back exactly, nulls included')
  t.ok(got && versionsEqual(got.version, version))
  t.equal(await rollouts.get('internal', 'nope'), null)
  t.equal(await rollouts.get('other', 'world-1'), null)
})

t.test('one active rollout per prefix: a Lease marker, taken, refused, freed', async (t) => {
  const { api, store } = await fixture(t)
  const rollouts = rolloutsOf(store)
  const v1 = await rollouts.create(sample('world-1'))
  const m = marker(api)
  t.equal(holderOf(m), 'world-1', 'the marker names it')
  t.match(markerName('internal', '/host/world'), /^sy-prefix\.internal\.[0-9a-f]{16}$/)

  const err = await rollouts.create(sample('world-2')).catch((e: unknown) => e)
  t.ok(err instanceof RolloutActiveError, 'a second one is refused')
  t.equal((err as RolloutActiveError).activeId, 'world-1', 'naming the active one')
  t.equal(await rollouts.get('internal', 'world-2'), null, 'and nothing is stored')

  // Another prefix, and the same prefix in another namespace, are free.
  await rollouts.create(sample('hello-1', { prefix: '/host/hello' }))
  await rollouts.create(sample('world-1', { namespace: 'external' }))

  const dup = await rollouts.create(sample('world-1')).catch((e: unknown) => e)
  t.ok(dup instanceof RolloutExistsError, 'a taken id is refused')

  const v2 = await rollouts.update(ended(sample('world-1')), v1)
  t.equal(marker(api), null, 'a terminal update deletes the marker')
  const object = api.get({
    apiVersion: ROLLOUT_API,
    kind: 'Rollout',
    namespace: 'default',
    name: 'internal.world-1',
  })
  t.equal(
    (object?.metadata as { labels?: Record<string, string> } | undefined)?.labels?.[
      'switchyard.io/active'
    ],
    'false',
  )
  t.notOk(versionsEqual(v1, v2))
  await rollouts.create(sample('world-2'))
  t.same(
    (await rollouts.list({ namespace: 'internal', active: true })).map((v) => v.rollout.id),
    ['hello-1', 'world-2'].sort((a, b) => a.localeCompare(b)),
  )
  t.same(
    (await rollouts.list({ active: false })).map((v) => `${v.rollout.namespace}/${v.rollout.id}`),
    ['internal/world-1'],
  )
  t.same(
    (await rollouts.list()).map((v) => `${v.rollout.namespace}/${v.rollout.id}`),
    ['external/world-1', 'internal/hello-1', 'internal/world-1', 'internal/world-2'],
  )
})

t.test('a stale marker is replaced: its rollout ended, or missing for over 10 s', async (t) => {
  const { api, store } = await fixture(t)
  const rollouts = rolloutsOf(store)
  // A marker left behind by a terminal update whose delete never happened.
  const v1 = await rollouts.create(sample('world-1'))
  const left = marker(api)
  await rollouts.update(ended(sample('world-1'), 'rolled-back'), v1)
  if (left === null) throw new Error('no marker')
  api.put(left)
  t.ok(marker(api), 'the marker is back')
  await rollouts.create(sample('world-2'))
  t.equal(holderOf(marker(api)), 'world-2', 'replaced by the new rollout')

  // A marker naming a rollout that was never stored: young, it still holds the prefix.
  const young = {
    apiVersion: LEASE_API,
    kind: 'Lease',
    metadata: { name: markerName('internal', '/host/hello'), namespace: 'default' },
    spec: { holderIdentity: 'ghost', acquireTime: microTime(new Date()) },
  }
  api.put(young)
  const err = await rollouts
    .create(sample('hello-1', { prefix: '/host/hello' }))
    .catch((e: unknown) => e)
  t.ok(err instanceof RolloutActiveError, 'a young marker of a missing rollout holds')
  t.equal((err as RolloutActiveError).activeId, 'ghost')
  api.put({
    ...young,
    spec: {
      holderIdentity: 'ghost',
      acquireTime: microTime(new Date(Date.now() - STALE_MARKER_MS - 1000)),
    },
  })
  await rollouts.create(sample('hello-1', { prefix: '/host/hello' }))
  t.equal(holderOf(marker(api, '/host/hello')), 'hello-1', 'an old one is replaced')
})

t.test('updates are compare-and-swap on the resourceVersion', async (t) => {
  const { store } = await fixture(t)
  const rollouts = rolloutsOf(store)
  const v1 = await rollouts.create(sample('world-1'))
  const v2 = await rollouts.update(sample('world-1', { phase: 'step', step: 0 }), v1)
  const stale = await rollouts.update(sample('world-1', { phase: 'gate' }), v1).catch((e) => e)
  t.ok(stale instanceof VersionMismatchError, 'a stale version is refused')
  t.ok(
    versionsEqual((stale as VersionMismatchError).actual ?? new Uint8Array(), v2),
    'saying where it is',
  )
  const same = await rollouts.update(sample('world-1', { phase: 'step', step: 0 }), v2)
  t.notOk(versionsEqual(same, v2), 'an identical write still gives a new version')
  const garbage = await rollouts
    .update(sample('world-1'), new Uint8Array([0xff, 0x00]))
    .catch((e) => e)
  t.ok(garbage instanceof VersionMismatchError, 'a version that is no resourceVersion is refused')
  const gone = await rollouts.update(sample('world-9'), v1).catch((e) => e)
  t.ok(gone instanceof RolloutNotFoundError, 'an update of a missing rollout')
  t.equal((await rollouts.get('internal', 'world-1'))?.rollout.phase, 'step')
})

t.test('a corrupt Rollout object fails that rollout only', async (t) => {
  const { api, store } = await fixture(t)
  const rollouts = rolloutsOf(store)
  await rollouts.create(sample('world-1'))
  api.put({
    apiVersion: ROLLOUT_API,
    kind: 'Rollout',
    metadata: { name: 'internal.bad-1', namespace: 'default' },
    spec: { prefix: '/x' },
    status: { phase: 'nonsense' },
  })
  t.same(
    (await rollouts.list()).map((v) => v.rollout.id),
    ['world-1'],
    'list leaves it out',
  )
  await t.rejects(rollouts.get('internal', 'bad-1'), { code: 'corrupt_entry' }, 'get says so')
  const events = rollouts.watch()
  const first = await events.next()
  t.equal(first.value?.type === 'rollout' && first.value.rollout.id, 'world-1')
  t.same((await events.next()).value, { type: 'synced' })
  await events.return?.()
})

t.test('watch: current rollouts, synced, then every change in order', async (t) => {
  const { api, store } = await fixture(t)
  const rollouts = rolloutsOf(store)
  const empty = rollouts.watch()
  t.same((await empty.next()).value, { type: 'synced' }, 'an empty store is synced at once')
  await empty.return?.()

  const v1 = await rollouts.create(sample('world-1'))
  const events = rollouts.watch()
  const seen: RolloutStoreEvent[] = []
  const take = async () => {
    const next = await events.next()
    if (next.done) throw new Error('the watch ended')
    seen.push(next.value)
    return next.value
  }
  t.match(await take(), { type: 'rollout', rollout: { id: 'world-1', phase: 'pending' } })
  t.same(await take(), { type: 'synced' })
  const v2 = await rollouts.update(sample('world-1', { phase: 'step', step: 0 }), v1)
  const changed = await take()
  t.match(changed, { type: 'rollout', rollout: { phase: 'step' } })
  t.ok(changed.type === 'rollout' && versionsEqual(changed.version, v2), 'with its version')
  await rollouts.update(sample('world-1', { phase: 'step', step: 1 }), v2)
  t.match(await take(), { type: 'rollout', rollout: { step: 1 } })
  api.remove({
    apiVersion: ROLLOUT_API,
    kind: 'Rollout',
    namespace: 'default',
    name: 'internal.world-1',
  })
  t.same(await take(), { type: 'removed', namespace: 'internal', id: 'world-1' })
  await store.close()
  t.same(await events.next(), { value: undefined, done: true }, 'close ends it')
})

t.test(
  'prune removes ended rollouts before a time, keeping the newest per namespace',
  async (t) => {
    const { store } = await fixture(t)
    const rollouts = rolloutsOf(store)
    for (const [i, minute] of [10, 20, 30].entries()) {
      const r = sample(`world-${i}`)
      const v = await rollouts.create(r)
      await rollouts.update({ ...ended(r), endedAt: `2026-12-05T04:${minute}:00.000Z` }, v)
    }
    await rollouts.create(sample('world-9'))
    t.equal(await rollouts.prune(new Date('2026-12-05T04:25:00.000Z'), 1), 2)
    t.same(
      (await rollouts.list()).map((v) => v.rollout.id),
      ['world-2', 'world-9'],
    )
  },
)

t.test(
  'without the Rollout CRD: calls say how to install it, the watch says so and waits',
  async (t) => {
    const api = await startFake()
    api.uninstallCrd('rollouts.switchyard.io')
    const warnings: string[] = []
    const store = await openOn(api, {
      logger: {
        info: () => {},
        warn: (details, message) => {
          warnings.push(`${message} ${(details as { problem?: string }).problem ?? ''}`)
        },
      },
    })
    t.teardown(async () => {
      await store.close()
      await api.close()
    })
    const rollouts = rolloutsOf(store)
    await t.rejects(rollouts.get('internal', 'world-1'), {
      code: 'store_unavailable',
      message: /rollouts\.switchyard\.io is not installed.*kubectl apply -k deploy\/crd/,
    })
    const events = rollouts.watch()
    for (let i = 0; i < 200 && warnings.length === 0; i++)
      await new Promise((r) => setTimeout(r, 10))
    t.match(warnings[0], /cannot list or watch Rollout objects.*not installed/)
    await api.installCrdsFrom(CRD_DIR)
    t.same((await events.next()).value, { type: 'synced' }, 'synced once it is installed')
    await events.return?.()
  },
)

t.test('leases are coordination.k8s.io Leases', async (t) => {
  const { api, store } = await fixture(t)
  const leases = leasesOf(store)
  const acquired = new Date('2026-12-05T04:48:12.345Z')
  const first = await leases.write(
    'rollouts-leader',
    {
      holder: 'namerd-1',
      durationMs: 1500,
      acquiredAt: acquired,
      renewedAt: acquired,
      transitions: 0,
      data: '{"x":1}',
    },
    null,
  )
  const object = api.get({
    apiVersion: LEASE_API,
    kind: 'Lease',
    namespace: 'default',
    name: 'sy-lease.rollouts-leader',
  })
  if (object === null) throw new Error('no Lease object')
  t.match(object.spec, {
    holderIdentity: 'namerd-1',
    leaseDurationSeconds: 2,
    acquireTime: '2026-12-05T04:48:12.345000Z',
    renewTime: '2026-12-05T04:48:12.345000Z',
    leaseTransitions: 0,
  })
  t.match((object.metadata as { annotations: Record<string, string> }).annotations, {
    'switchyard.io/duration-ms': '1500',
    'switchyard.io/data': '{"x":1}',
    'switchyard.io/lease-name': 'rollouts-leader',
  })
  t.match(first, {
    name: 'rollouts-leader',
    holder: 'namerd-1',
    durationMs: 1500,
    acquiredAt: acquired,
    renewedAt: acquired,
    transitions: 0,
    data: '{"x":1}',
  })
  t.same(await leases.get('rollouts-leader'), first)

  const again = await leases
    .write('rollouts-leader', { ...first, holder: 'namerd-2' }, null)
    .catch((e) => e)
  t.ok(again instanceof VersionMismatchError, 'a second create is refused')
  const renewed = await leases.write(
    'rollouts-leader',
    { ...first, renewedAt: new Date() },
    first.version,
  )
  const stale = await leases
    .write('rollouts-leader', { ...first, holder: 'namerd-2' }, first.version)
    .catch((e) => e)
  t.ok(stale instanceof VersionMismatchError, 'a renew by a stale version fails')
  const released = await leases.write(
    'rollouts-leader',
    { ...renewed, holder: null, data: null },
    renewed.version,
  )
  t.equal(released.holder, null, 'released')
  t.equal(released.data, null)
  const same = await leases.write('rollouts-leader', { ...released }, released.version)
  t.notOk(versionsEqual(same.version, released.version), 'every write gives a new version')

  await leases.write('replica.namerd-1', { ...first, durationMs: 200, data: '[]' }, null)
  await leases.write('replica.a_b', { ...first, data: null }, null)
  t.same(
    (await leases.list('replica.')).map((l) => l.name),
    ['replica.a_b', 'replica.namerd-1'],
    'listed by prefix, sorted, whatever their object names',
  )
  t.equal((await leases.list('replica.namerd-1'))[0]?.durationMs, 200, 'exact ms')
  // A marker Lease of rollouts is no LeaseStore lease.
  await rolloutsOf(store).create(sample('world-1'))
  t.same(
    (await leases.list('')).map((l) => l.name),
    ['replica.a_b', 'replica.namerd-1', 'rollouts-leader'],
  )

  await t.rejects(leases.delete('rollouts-leader', released.version), VersionMismatchError)
  await leases.delete('rollouts-leader', same.version)
  t.equal(await leases.get('rollouts-leader'), null, 'deleted')
  await t.rejects(leases.delete('rollouts-leader', same.version), VersionMismatchError)

  await t.rejects(leases.get('Bad Name'), InvalidLeaseError)
  await t.rejects(
    leases.write('big', { ...first, data: 'x'.repeat(64 * 1024 + 1) }, null),
    InvalidLeaseError,
  )
})

t.test('lease names map to valid, distinct object names', async (t) => {
  const valid = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
  const names = [
    'rollouts-leader',
    'replica.namerd-1',
    'replica.a_b',
    'replica.a-b',
    'a..b',
    'a.-b',
    'a_',
    'x'.repeat(202),
    `${'y'.repeat(200)}_z`,
  ]
  const objects = names.map(leaseObjectName)
  for (const o of objects)
    t.ok(valid.test(o) && o.length <= 253, `${o.slice(0, 60)} is an object name`)
  t.equal(new Set(objects).size, names.length, 'no two names share an object')
  t.equal(leaseObjectName('rollouts-leader'), 'sy-lease.rollouts-leader')
  t.match(leaseObjectName('replica.a_b'), /^sy-lease-x\.replica-a-b\.[0-9a-f]{16}$/)
})

t.test('ten concurrent creators of one lease: exactly one wins', async (t) => {
  const { store } = await fixture(t)
  const leases = leasesOf(store)
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) =>
      leases.write(
        'rollouts-leader',
        {
          holder: `r${i}`,
          durationMs: 1000,
          acquiredAt: new Date(),
          renewedAt: new Date(),
          transitions: 0,
          data: null,
        },
        null,
      ),
    ),
  )
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
  t.ok(
    results.every((r) => r.status === 'fulfilled' || r.reason instanceof VersionMismatchError),
    'the others are told the version moved',
  )
})

rolloutContract('k8s', async (options) => {
  const h = await k8sHarness(options)
  return {
    ...h,
    async corruptRollout(namespace, id) {
      // An object the API server keeps (it fits the CRD) that is no rollout.
      h.api.put({
        apiVersion: ROLLOUT_API,
        kind: 'Rollout',
        metadata: { name: `${namespace}.${id}`, namespace: 'default' },
        spec: { prefix: 7 },
        status: { phase: 'nonsense' },
      })
    },
  }
})
