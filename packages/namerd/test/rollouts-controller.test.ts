// The controller on a namerd in this process (memory store, real HTTP): rollouts started through
// the API are driven to their end by the leader, reading a stub metrics source (the proxies'
// real path is tested end to end by test/e2e/rollouts*.test.ts).

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Dtab } from '@switchyard/dtab'
import type { RolloutSpec, VersionStats } from '@switchyard/wire'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { RolloutController } from '../src/rollouts/controller.js'
import { startRollouts } from '../src/rollouts/leader.js'
import { RolloutMetrics } from '../src/rollouts/metrics.js'
import { judge } from '../src/rollouts/sources/judge.js'
import type { MetricsSource, ReadResult } from '../src/rollouts/sources/source.js'
import type { StateStream } from '../src/routes/watch.js'
import { startServer } from './helpers.js'

const DTAB =
  '/srv/world-v1=>/$/inet/127.0.0.1/1001;/srv/world-v2=>/$/inet/127.0.0.1/1002;/host/world=>/srv/world-v1'

const stats = (requests: number, rate: number): VersionStats => ({
  ids: [],
  requests,
  successes: Math.round(requests * rate),
  failures: requests - Math.round(requests * rate),
  successRate: requests === 0 ? null : rate,
  p99Ms: 5,
  ratePerSec: 100,
})

/** A source whose `to` answers at `rate`, with plenty of requests. */
function stub(rate: { value: number | null }): MetricsSource {
  return {
    async read(_ns, _ids, _start, end): Promise<ReadResult> {
      if (rate.value === null) return { ok: false, problem: 'stub: unreadable' }
      return {
        ok: true,
        reading: { from: stats(100, 1), to: stats(100, rate.value), proxies: 1, at: end },
      }
    },
    async close() {},
  }
}

const spec = (over: Partial<RolloutSpec> = {}): RolloutSpec => ({
  prefix: '/host/world',
  from: '/srv/world-v1',
  to: '/srv/world-v2',
  steps: [10, 50, 100],
  intervalMs: 150,
  progressDeadlineMs: 1500,
  thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 20 },
  smoke: null,
  gates: [],
  metrics: { kind: 'proxies' },
  webhook: null,
  reason: null,
  ...over,
})

async function setup(t: Test, rate: { value: number | null }, source?: MetricsSource) {
  const ns = await startServer(t)
  await ns.store.create('internal', Dtab.read(DTAB))
  const registry = new Registry()
  const service = startRollouts({
    store: ns.server.context.store,
    naming: ns.server.context.naming,
    watchers: ns.server.context.watchers,
    settings: {
      enabled: true,
      tickMs: 30,
      scrapeMs: 30,
      leaseMs: 600,
      presenceMs: 100,
      replicaId: 'test-1',
      proxyAdmin: { allow: [] },
    },
    log: pino({ level: 'silent' }),
    sourceFor: () => source ?? stub(rate),
    metrics: new RolloutMetrics(registry),
  })
  t.teardown(() => service.close())
  return { ...ns, service, registry }
}

async function start(base: string, body: RolloutSpec): Promise<string> {
  const res = await fetch(`${base}/api/1/rollouts/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as { id?: string; message?: string }
  if (res.status !== 201) throw new Error(`start: ${res.status} ${json.message}`)
  return json.id!
}

async function until<T>(what: string, get: () => Promise<T | null>, ms = 8000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await get()
    if (v !== null) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const ended = (store: Awaited<ReturnType<typeof startServer>>['store'], id: string) => () =>
  store.rollouts!.get('internal', id).then((v) => (v?.rollout.endedAt ? v.rollout : null))

t.test('a healthy rollout is driven through its steps to succeeded', async (t) => {
  const s = await setup(t, { value: 1 })
  await until('the leader', async () => (s.service.status.leader() ? true : null))
  const id = await start(s.base, spec())
  const r = await until('the end', ended(s.store, id))
  t.equal(r.phase, 'succeeded', r.outcome ?? '')
  const dtab = await s.store.get('internal')
  t.equal(
    Dtab.show(dtab!.dtab),
    DTAB.replace('/host/world=>/srv/world-v1', '/host/world=>/srv/world-v2'),
  )
  t.same(
    r.stepRecords.map((x) => [x.weight, x.verdict]),
    [
      [10, 'pass'],
      [50, 'pass'],
      [100, 'pass'],
    ],
  )
  const history = await s.store.history('internal')
  t.match(history[0]?.who, new RegExp(`^rollout ${id}@test-1 for `))
})

t.test('a failing to is rolled back to the exact dtab from before', async (t) => {
  const rate = { value: 0.5 }
  const s = await setup(t, rate)
  await until('the leader', async () => (s.service.status.leader() ? true : null))
  const id = await start(s.base, spec())
  const r = await until('the end', ended(s.store, id))
  t.equal(r.phase, 'rolled-back', r.outcome ?? '')
  t.equal(r.stepRecords[0]?.failed?.metric, 'success-rate')
  const dtab = await s.store.get('internal')
  t.equal(Dtab.show(dtab!.dtab), DTAB, 'byte for byte')
})

t.test('a manual change of the dentry stops the rollout and survives', async (t) => {
  const s = await setup(t, { value: null })
  await until('the leader', async () => (s.service.status.leader() ? true : null))
  const id = await start(s.base, spec())
  // Unreadable metrics keep it paused at its first step.
  await until('the metrics pause', async () => {
    const v = await s.store.rollouts!.get('internal', id)
    return v?.rollout.pause?.by === 'metrics' ? true : null
  })
  const cur = await s.store.get('internal')
  const manual = DTAB.replace('/host/world=>/srv/world-v1', '/host/world=>/srv/world-v2')
  await s.store.update('internal', Dtab.read(manual), cur!.version, { who: 'alice' })
  const r = await until('the end', ended(s.store, id))
  t.equal(r.phase, 'stopped')
  t.match(r.outcome, /conflict/)
  const after = await s.store.get('internal')
  t.equal(Dtab.show(after!.dtab), manual, 'the manual dentry is intact')
})

t.test('every event goes to the webhook and webhookDelivered is stored', async (t) => {
  const got: { id: string; seq: number; to: string; analysis: unknown }[] = []
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      const p = JSON.parse(body) as { event: { seq: number; to: string }; analysis: unknown }
      got.push({
        id: String(req.headers['switchyard-event-id']),
        seq: p.event.seq,
        to: p.event.to,
        analysis: p.analysis,
      })
      res.end('ok')
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => receiver.close(() => r())))
  const port = (receiver.address() as AddressInfo).port
  const s = await setup(t, { value: 1 })
  await until('the leader', async () => (s.service.status.leader() ? true : null))
  const id = await start(s.base, spec({ webhook: `http://127.0.0.1:${port}/hook` }))
  const r = await until('the end', ended(s.store, id))
  t.equal(r.phase, 'succeeded')
  const stored = await until('webhookDelivered stored', async () => {
    const v = await s.store.rollouts!.get('internal', id)
    return v !== null && v.rollout.webhookDelivered === r.events.at(-1)!.seq ? v.rollout : null
  })
  t.same(
    got.map((g) => g.seq),
    stored.events.map((e) => e.seq),
    'each event once, in order',
  )
  t.equal(got[0]?.id, `${id}/1`)
  t.equal(got.at(-1)?.to, 'succeeded')
  t.match(got.at(-1)?.analysis, { index: 2, weight: 100, verdict: 'pass' }, 'the step record')
  const text = await s.registry.metrics()
  t.match(
    text,
    new RegExp(`namerd_rollout_webhook_deliveries_total\\{result="delivered"\\} ${got.length}\\b`),
  )
})

t.test('an abort queued while the controller reads metrics is never written over', async (t) => {
  // The read of step 1's window is held until an abort has been queued through the API and the
  // store's watch has brought that version to the controller: the controller's next write, made
  // from the state it read before the abort, must not replace `requests` on the newer version.
  let release: (() => void) | null = null
  let reading: (() => void) | null = null
  const readStarted = new Promise<void>((r) => {
    reading = r
  })
  const held = new Promise<void>((r) => {
    release = r
  })
  const source: MetricsSource = {
    async read(_ns, _ids, _start, end): Promise<ReadResult> {
      reading?.()
      await held
      return {
        ok: true,
        reading: {
          from: stats(100, 1),
          to: stats(100, 1),
          proxies: 1,
          at: new Date(end.getTime() + 1000),
        },
      }
    },
    async close() {},
  }
  const s = await setup(t, { value: 1 }, source)
  await until('the leader', async () => (s.service.status.leader() ? true : null))
  const id = await start(s.base, spec({ steps: [10, 100] }))
  await readStarted
  const res = await fetch(`${s.base}/api/1/rollouts/internal/${id}/abort`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ why: 'wrong build' }),
  })
  t.equal(res.status, 202)
  await until('the abort reaching the controller', async () =>
    s.service
      .controller()
      ?.held()
      .some((r) => r.requests.length > 0)
      ? true
      : null,
  )
  release!()
  const r = await until('the end', ended(s.store, id))
  const abortSeen =
    r.phase === 'aborted' || r.events.some((e) => /abort by .* came after/.test(e.why))
  t.ok(abortSeen, `the abort took effect or was reported too late (phase ${r.phase}: ${r.outcome})`)
  t.equal(r.phase, 'aborted', 'queued in step 1, it takes effect')
  t.same(r.requests, [])
})

t.test(
  "a window's live numbers are not stored every tick; its verdict and transitions are",
  async (t) => {
    const s = await setup(t, { value: 1 })
    await until('the leader', async () => (s.service.status.leader() ? true : null))
    // One step, judged every 30 ms tick over a 1.2 s window: ~40 readings, each 'continue'
    // until the window ends.
    const id = await start(s.base, spec({ steps: [100], intervalMs: 1200 }))
    const abort = new AbortController()
    t.teardown(() => abort.abort())
    let writes = 0
    void (async () => {
      try {
        for await (const e of s.store.rollouts!.watch({ signal: abort.signal })) {
          if (e.type === 'rollout' && e.rollout.id === id) writes++
        }
      } catch {}
    })()
    const r = await until('the end', ended(s.store, id))
    t.equal(r.phase, 'succeeded', r.outcome ?? '')
    const checks = r.stepRecords[0]?.checks ?? 0
    t.ok(checks >= 10, `the window was judged at every tick (${checks} checks)`)
    t.ok(
      writes < checks / 2,
      `stored ${writes} times for ${checks} checks: the transitions, not every reading`,
    )
  },
)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const rolloutOf = (store: Awaited<ReturnType<typeof startServer>>['store'], id: string) => () =>
  store.rollouts!.get('internal', id).then((v) => v?.rollout ?? null)

t.test(
  "a step's window starts once the proxies were sent its version, or after min(interval, 10 s) anyway",
  async (t) => {
    const s = await setup(t, { value: 1 })
    // A proxy watching internal with an admin address; its stream's version is what namerd
    // sent it (the test plays the watch route's part).
    const stream = { version: null, end() {}, destroy() {} } as {
      version: string | null
      end(): void
      destroy(): void
    }
    const watcher = s.server.context.watchers.add({
      id: 'proxy-a',
      kind: 'dtab',
      namespace: 'internal',
      target: '/api/1/dtabs/internal?watch=true',
      remote: '127.0.0.1:5',
      since: new Date(),
      stream: stream as unknown as StateStream,
      admin: '127.0.0.1:9990',
    })
    t.teardown(() => s.server.context.watchers.remove(watcher))
    await until('the leader', async () => (s.service.status.leader() ? true : null))
    const id = await start(s.base, spec({ intervalMs: 600 }))
    const get = rolloutOf(s.store, id)
    const shifted = await until('step 1 written', async () => {
      const r = await get()
      return r?.stepRecords[0]?.shiftedVersion ? r : null
    })
    const v1 = shifted.stepRecords[0]!.shiftedVersion!
    t.equal(shifted.stepRecords[0]!.windowStart, null, 'written, but the window waits')
    await sleep(250)
    t.equal((await get())?.stepRecords[0]?.windowStart, null, 'the proxy lacks it: still waiting')
    const sentAt = Date.now()
    stream.version = v1
    const started = await until('the window of step 1', async () => {
      const r = await get()
      return r?.stepRecords[0]?.windowStart ? r : null
    })
    t.ok(Date.parse(started.stepRecords[0]!.windowStart!) >= sentAt - 5, 'starts once sent')
    t.match(
      started.events.find((e) => e.step === 0 && /window starts/.test(e.why))?.why,
      /^step 1 of 3 \(10%\): window starts: 1 proxy has v\d+$/,
    )
    // Step 2: the proxy is never sent its version; the window starts after the interval anyway.
    const second = await until('the window of step 2', async () => {
      const r = await get()
      return r?.stepRecords[1]?.windowStart ? r : null
    })
    const decided = second.events.find((e) => e.to === 'step' && e.step === 1)!
    const late = second.events.find((e) => e.step === 1 && /window starts/.test(e.why))!
    t.match(
      late.why,
      /^step 2 of 3 \(50%\): window starts after 0\.6 s although 1 of 1 proxies lack v\d+: proxy-a \(127\.0\.0\.1:9990 on test-1\) has v\d+$/,
    )
    t.ok(
      Date.parse(late.time) - Date.parse(decided.time) >= 550,
      `waited the bound (${Date.parse(late.time) - Date.parse(decided.time)} ms)`,
    )
    const r = await until('the end', ended(s.store, id))
    t.equal(r.phase, 'succeeded', r.outcome ?? '')
  },
)

t.test(
  'a new leader restarts a window in progress instead of judging what is left of it',
  async (t) => {
    const s = await setup(t, { value: 1 })
    await until('the leader', async () => (s.service.status.leader() ? true : null))
    const id = await start(s.base, spec({ steps: [100], intervalMs: 1500 }))
    const first = await until('the window', async () => {
      const r = await rolloutOf(s.store, id)()
      return r?.stepRecords[0]?.windowStart ? r : null
    })
    await sleep(400)
    await s.service.close()
    const two = startRollouts({
      store: s.server.context.store,
      naming: s.server.context.naming,
      watchers: s.server.context.watchers,
      settings: {
        enabled: true,
        tickMs: 30,
        scrapeMs: 30,
        leaseMs: 600,
        presenceMs: 100,
        replicaId: 'test-2',
        proxyAdmin: { allow: [] },
      },
      log: pino({ level: 'silent' }),
      sourceFor: () => stub({ value: 1 }),
    })
    t.teardown(() => two.close())
    const r = await until('the end', ended(s.store, id))
    t.equal(r.phase, 'succeeded', r.outcome ?? '')
    const restart = r.events.find((e) => /taken over by a new leader/.test(e.why))
    t.equal(restart?.who, 'controller@test-2', 'the new leader restarted the window')
    const was = first.stepRecords[0]!
    const rec = r.stepRecords[0]!
    t.ok(Date.parse(rec.windowStart!) > Date.parse(was.windowStart!), 'a fresh window')
    t.ok(
      Date.parse(rec.windowEnd!) - Date.parse(rec.windowStart!) >= 1500,
      'judged on a whole interval',
    )
    t.equal(
      rec.startedAt,
      was.startedAt,
      'the step itself (its progress deadline) is not restarted',
    )
  },
)

t.test(
  'a webhook event given up on is never sent again; nor are events of rollouts ended over an hour ago',
  async (t) => {
    const ns = await startServer(t)
    await ns.store.create('internal', Dtab.read(DTAB))
    const settings = (replicaId: string) => ({
      enabled: true,
      tickMs: 30,
      scrapeMs: 30,
      leaseMs: 600,
      presenceMs: 100,
      replicaId,
      proxyAdmin: { allow: [] },
    })
    const sent: string[] = []
    // A notifier that gives up on every event at once (as after 10 failed attempts).
    let one: ReturnType<typeof startRollouts> | null = null
    one = startRollouts({
      store: ns.server.context.store,
      naming: ns.server.context.naming,
      watchers: ns.server.context.watchers,
      settings: settings('test-1'),
      log: pino({ level: 'silent' }),
      sourceFor: () => stub({ value: 1 }),
      notifier: {
        notify: (r, e) => {
          sent.push(`${r.id}/${e.seq}`)
          setImmediate(() => one?.controller()?.gaveUp(r.namespace, r.id, e.seq))
        },
        close: () => {},
      },
    })
    t.teardown(() => one?.close())
    await until('the leader', async () => (one?.status.leader() ? true : null))
    const id = await start(ns.base, spec({ webhook: 'http://127.0.0.1:1/hook' }))
    const r = await until('the end', ended(ns.store, id))
    await until('the give-ups recorded', async () => {
      const v = await ns.store.rollouts!.get('internal', id)
      return v?.rollout.webhookDelivered === r.events.at(-1)!.seq ? true : null
    })
    t.equal(sent.length, r.events.length, 'each event tried once')
    await one.close()
    // Restarted: a new leader resends nothing.
    const resent: string[] = []
    const two = startRollouts({
      store: ns.server.context.store,
      naming: ns.server.context.naming,
      watchers: ns.server.context.watchers,
      settings: settings('test-2'),
      log: pino({ level: 'silent' }),
      sourceFor: () => stub({ value: 1 }),
      notifier: { notify: (r, e) => resent.push(`${r.id}/${e.seq}`), close: () => {} },
    })
    t.teardown(() => two.close())
    await until('the new leader', async () => (two.status.leader() ? true : null))
    await sleep(200)
    t.same(resent, [], 'events given up on are not sent again after a restart')
    await two.close()

    // A rollout whose events were never acknowledged: resent by a new leader within the hour,
    // never after it.
    const id2 = await (async () => {
      const three = startRollouts({
        store: ns.server.context.store,
        naming: ns.server.context.naming,
        watchers: ns.server.context.watchers,
        settings: settings('test-3'),
        log: pino({ level: 'silent' }),
        sourceFor: () => stub({ value: 1 }),
        notifier: { notify: () => {}, close: () => {} },
      })
      await until('leader 3', async () => (three.status.leader() ? true : null))
      // Back to v1: the first rollout left /host/world on v2.
      const started = await start(
        ns.base,
        spec({ from: '/srv/world-v2', to: '/srv/world-v1', webhook: 'http://127.0.0.1:1/hook' }),
      )
      await until('the end', ended(ns.store, started))
      await three.close()
      return started
    })()
    const controllerAt = async (offsetMs: number): Promise<string[]> => {
      const got: string[] = []
      const c = new RolloutController({
        store: ns.server.context.store,
        rollouts: ns.server.context.store.rollouts!,
        naming: ns.server.context.naming,
        replicaId: 'test-4',
        tickMs: 30,
        log: pino({ level: 'silent' }),
        judge,
        sourceFor: () => stub({ value: 1 }),
        runSmoke: async () => ({ sent: 0, passed: 0, firstFailure: null }),
        notifier: { notify: (r, e) => got.push(`${r.id}/${e.seq}`), close: () => {} },
        now: () => new Date(Date.now() + offsetMs),
      })
      c.start()
      await sleep(200)
      await c.close()
      return got.filter((g) => g.startsWith(`${id2}/`))
    }
    t.ok((await controllerAt(10 * 60 * 1000)).length > 0, 'ended 10 min ago: resent')
    t.same(await controllerAt(2 * 3600 * 1000), [], 'ended 2 h ago: never resent')
  },
)
