// Leadership across replicas (docs/design/rollouts.md §3): two namerds in this process, each
// with its own file store instance on ONE directory (as two hosts on a shared volume would be),
// stand for the rollouts-leader lease. Exactly one leads; when it dies without releasing the
// lease, the other takes over once the lease has gone unrenewed for leaseMs, and carries the
// rollout on from what is stored.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dtab } from '@switchyard/dtab'
import { openFileStore } from '@switchyard/store'
import type { Rollout, RolloutSpec, VersionStats } from '@switchyard/wire'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { Metrics } from '../src/metrics.js'
import { type RolloutsService, startRollouts } from '../src/rollouts/leader.js'
import { RolloutMetrics } from '../src/rollouts/metrics.js'
import type { MetricsSource, ReadResult } from '../src/rollouts/sources/source.js'
import { startServer } from './helpers.js'

const DTAB =
  '/srv/world-v1=>/$/inet/127.0.0.1/1001;/srv/world-v2=>/$/inet/127.0.0.1/1002;/host/world=>/srv/world-v1'
const LEASE_MS = 400

const stats = (requests: number): VersionStats => ({
  ids: [],
  requests,
  successes: requests,
  failures: 0,
  successRate: 1,
  p99Ms: 5,
  ratePerSec: 100,
})
const healthy: MetricsSource = {
  async read(_ns, _ids, _start, end): Promise<ReadResult> {
    return { ok: true, reading: { from: stats(100), to: stats(100), proxies: 1, at: end } }
  },
  async close() {},
}

async function replica(t: Test, dir: string, id: string) {
  const store = await openFileStore(dir, { pollIntervalMs: 25 })
  const ns = await startServer(t, { store })
  const service = startRollouts({
    store: ns.server.context.store,
    naming: ns.server.context.naming,
    watchers: ns.server.context.watchers,
    settings: {
      enabled: true,
      tickMs: 30,
      scrapeMs: 30,
      leaseMs: LEASE_MS,
      presenceMs: 100,
      replicaId: id,
      proxyAdmin: { allow: [] },
    },
    log: pino({ level: 'silent' }),
    sourceFor: () => healthy,
  })
  // Registered after the server's: runs before it (tap runs teardowns last first).
  t.teardown(() => service.close({ release: false }).catch(() => {}))
  return { ...ns, service, id }
}

async function until<T>(what: string, get: () => Promise<T | null> | T | null, ms = 8000) {
  const end = Date.now() + ms
  for (;;) {
    const v = await get()
    if (v !== null) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const leaders = (rs: { service: RolloutsService; id: string }[]) =>
  rs.filter((r) => r.service.status.leader()).map((r) => r.id)

t.test('one leader; killed without releasing, the other carries the rollout on', async (t) => {
  // Not t.testdir(): tap would remove it while the stores' last writes may still be landing.
  const dir = await mkdtemp(join(tmpdir(), 'rollouts-leader-'))
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 5 }))
  const a = await replica(t, dir, 'replica-a')
  const b = await replica(t, dir, 'replica-b')
  await a.store.create('internal', Dtab.read(DTAB))

  await until('a leader', () => (leaders([a, b]).length > 0 ? true : null))
  // Over two lease durations, never two leaders, never none.
  for (const end = Date.now() + 2 * LEASE_MS; Date.now() < end; ) {
    t.equal(leaders([a, b]).length, 1, 'exactly one leads')
    if (leaders([a, b]).length !== 1) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const [first, second] = a.service.status.leader() ? [a, b] : [b, a]

  // A rollout that passes its first step and waits at the gate before 50%.
  const spec: RolloutSpec = {
    prefix: '/host/world',
    from: '/srv/world-v1',
    to: '/srv/world-v2',
    steps: [10, 50, 100],
    intervalMs: 100,
    progressDeadlineMs: 5000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 20 },
    smoke: null,
    gates: [50],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: null,
  }
  const res = await fetch(`${second.base}/api/1/rollouts/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  })
  t.equal(res.status, 201, 'any replica takes a start')
  const { id } = (await res.json()) as { id: string }
  const get = async (): Promise<Rollout> =>
    (await second.store.rollouts!.get('internal', id))!.rollout
  await until('the gate', async () => ((await get()).phase === 'gate' ? true : null))
  t.equal((await get()).stepRecords[0]?.verdict, 'pass')

  // The leader dies: its controller and lease renewals stop, the lease is not released.
  await first.service.close({ release: false })
  const died = Date.now()
  t.notOk(first.service.status.leader())
  await until('the takeover', () => (second.service.status.leader() ? true : null))
  t.ok(Date.now() - died >= LEASE_MS / 2, 'not before the lease could have expired')

  const promote = await fetch(`${second.base}/api/1/rollouts/internal/${id}/promote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ why: 'looks good' }),
  })
  t.equal(promote.status, 202)
  const done = await until('the end', async () => {
    const r = await get()
    return r.endedAt !== null ? r : null
  })
  t.equal(done.phase, 'succeeded', done.outcome ?? '')
  t.equal(
    Dtab.show((await second.store.get('internal'))!.dtab),
    DTAB.replace('/host/world=>/srv/world-v1', '/host/world=>/srv/world-v2'),
  )
  const who = (await second.store.history('internal')).map((h) => h.who)
  t.ok(
    who.includes(`rollout ${id}@${first.id} for ${done.createdBy}`),
    'the first step was written by the first leader',
  )
  t.ok(who.includes(`rollout ${id}@${second.id} for ${done.createdBy}`), 'the rest by the second')
  t.ok(
    done.events.some((e) => e.who === `controller@${first.id}`) &&
      done.events.some((e) => e.who === `controller@${second.id}`),
    'events by both controllers',
  )
})

t.test('a rollback is timed: namerd_rollout_rollback_seconds on /metrics', async (t) => {
  const metrics = new Metrics()
  const ns = await startServer(t, { metrics })
  await ns.store.create('internal', Dtab.read(DTAB))
  // Half the new version's requests fail: the first window fails, and the rollout rolls back.
  const failing: MetricsSource = {
    async read(_ns, _ids, _start, end): Promise<ReadResult> {
      const half = { ...stats(100), successes: 50, failures: 50, successRate: 0.5 }
      return { ok: true, reading: { from: stats(100), to: half, proxies: 1, at: end } }
    },
    async close() {},
  }
  const service = startRollouts({
    store: ns.server.context.store,
    naming: ns.server.context.naming,
    watchers: ns.server.context.watchers,
    settings: {
      enabled: true,
      tickMs: 30,
      scrapeMs: 30,
      leaseMs: LEASE_MS,
      presenceMs: 100,
      replicaId: 'solo',
      proxyAdmin: { allow: [] },
    },
    log: pino({ level: 'silent' }),
    metrics: new RolloutMetrics(metrics.registry),
    sourceFor: () => failing,
  })
  t.teardown(() => service.close().catch(() => {}))
  const res = await fetch(`${ns.base}/api/1/rollouts/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prefix: '/host/world', to: '/srv/world-v2', intervalMs: 100 }),
  })
  t.equal(res.status, 201)
  const { id } = (await res.json()) as { id: string }
  const done = await until('the rollback', async () => {
    const r = (await ns.store.rollouts!.get('internal', id))!.rollout
    return r.endedAt !== null ? r : null
  })
  t.equal(done.phase, 'rolled-back', done.outcome ?? '')
  const text = await (await fetch(`${ns.base}/metrics`)).text()
  t.match(text, /^namerd_rollout_rollback_seconds_count 1$/m, 'one rollback observed')
  const sum = Number(/^namerd_rollout_rollback_seconds_sum (\S+)$/m.exec(text)?.[1])
  t.ok(sum >= 0 && sum < 30, `a duration from the failing window's end (${sum} s)`)
})

t.test(
  'the leader removes ended rollouts past the retention, keeping the newest per namespace',
  async (t) => {
    const ns = await startServer(t)
    await ns.store.create('internal', Dtab.read(DTAB))
    const DAY = 24 * 3600 * 1000
    const ended = (id: string, agoMs: number): Rollout => {
      const at = new Date(Date.now() - agoMs).toISOString()
      return {
        prefix: `/host/${id}`,
        from: '/srv/world-v1',
        to: '/srv/world-v2',
        steps: [100],
        intervalMs: 1000,
        progressDeadlineMs: 10_000,
        thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 1 },
        smoke: null,
        gates: [],
        metrics: { kind: 'proxies' },
        webhook: null,
        reason: null,
        id,
        namespace: 'internal',
        phase: 'succeeded',
        step: 0,
        pause: null,
        before: { version: 'AAAAAAAAAAE=', dtab: DTAB, dentry: `/host/${id}=>/srv/world-v1` },
        lastWritten: null,
        intent: null,
        requests: [],
        stepRecords: [],
        smokeResult: null,
        events: [],
        webhookDelivered: 0,
        createdBy: 'test',
        createdAt: at,
        updatedAt: at,
        endedAt: at,
        outcome: 'done',
      }
    }
    const rollouts = ns.store.rollouts!
    await rollouts.create(ended('old-a', 9 * DAY))
    await rollouts.create(ended('old-b', 8 * DAY))
    await rollouts.create(ended('recent', DAY))
    const service = startRollouts({
      store: ns.server.context.store,
      naming: ns.server.context.naming,
      watchers: ns.server.context.watchers,
      settings: {
        enabled: true,
        tickMs: 30,
        scrapeMs: 30,
        leaseMs: LEASE_MS,
        presenceMs: 100,
        replicaId: 'solo',
        proxyAdmin: { allow: [] },
        retention: { keepMs: 7 * DAY, keep: 1, everyMs: 50 },
      },
      log: pino({ level: 'silent' }),
      sourceFor: () => healthy,
    })
    t.teardown(() => service.close().catch(() => {}))
    const left = await until('the prune', async () => {
      const ids = (await rollouts.list({ namespace: 'internal' })).map((v) => v.rollout.id)
      return ids.length < 3 ? ids : null
    })
    t.same(left, ['recent'], 'the two ended over 7 days ago are gone; the recent one stays')
    // A later rollout leaves the kept count at 1 but the recent one is within 7 days: it stays.
    await rollouts.create(ended('newer', 1000))
    await new Promise((r) => setTimeout(r, 200))
    t.same((await rollouts.list({ namespace: 'internal' })).map((v) => v.rollout.id).sort(), [
      'newer',
      'recent',
    ])
  },
)
