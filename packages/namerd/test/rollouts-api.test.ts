// /api/1/rollouts as a client sees it, on a namerd in this process with the memory store and an
// io.l5d.fs namer (no controller runs here, so rollouts stay where the test puts them): every
// status the design names, the watch stream's framing and end, and history's include=rollouts.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { mountNamers } from '@switchyard/namers'
import { type DtabStore, openMemoryStore, versionToETag } from '@switchyard/store'
import {
  ErrorBody,
  Rollout,
  type RolloutEvent,
  RolloutList,
  type RolloutSpec,
} from '@switchyard/wire'
import t, { type Test } from 'tap'
import { startServer, tempDir, watch } from './helpers.js'

const DTAB = '/srv=>/#/io.l5d.fs;/host=>/srv;/host/world=>/srv/world-v1;/host/hello=>/srv/hello-v1'

const SPEC: RolloutSpec = {
  prefix: '/host/world',
  from: '/srv/world-v1',
  to: '/srv/world-v2',
  steps: [10, 50, 100],
  intervalMs: 1000,
  progressDeadlineMs: 10_000,
  thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 10 },
  smoke: null,
  gates: [],
  metrics: { kind: 'proxies' },
  webhook: null,
  reason: 'build #512',
}

async function world(t: Test, store: DtabStore = openMemoryStore()) {
  const dir = await tempDir(t)
  const disco = join(dir, 'disco')
  await mkdir(disco)
  for (const name of ['world-v1', 'world-v2', 'hello-v1']) {
    await writeFile(join(disco, name), '10.0.0.5 8080\n')
  }
  const namers = await mountNamers([{ kind: 'io.l5d.fs', rootDir: disco }])
  t.teardown(() => namers.close())
  const app = await startServer(t, { store, namers: namers.namers })
  const res = await fetch(`${app.base}/api/1/dtabs/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: DTAB,
  })
  t.equal(res.status, 204)
  return app
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

async function errorOf(res: Response): Promise<ErrorBody> {
  return ErrorBody.parse(await res.json())
}

async function start(t: Test, base: string, spec: Partial<RolloutSpec> = {}): Promise<Rollout> {
  const res = await post(`${base}/api/1/rollouts/internal`, { ...SPEC, ...spec })
  t.equal(res.status, 201, 'started')
  return Rollout.parse(await res.json())
}

/** Moves a stored rollout as the controller would: a new phase and one event. */
async function move(store: DtabStore, r: Rollout, phase: Rollout['phase'], why: string) {
  const found = await store.rollouts!.get(r.namespace, r.id)
  const current = found!.rollout
  const event: RolloutEvent = {
    seq: current.events.length + 1,
    time: new Date().toISOString(),
    from: current.phase,
    to: phase,
    step: phase === 'step' ? 0 : null,
    weight: phase === 'step' ? 10 : null,
    who: 'controller@test',
    why,
    dtabVersion: null,
  }
  const terminal = ['succeeded', 'rolled-back', 'aborted', 'stopped'].includes(phase)
  const next: Rollout = {
    ...current,
    phase,
    step: phase === 'step' ? 0 : current.step,
    events: [...current.events, event],
    endedAt: terminal ? event.time : null,
    outcome: terminal ? why : null,
  }
  return store.rollouts!.update(next, found!.version)
}

t.test('start: 201 with the pending rollout; get, list and active find it', async (t) => {
  const { base } = await world(t)
  const res = await post(`${base}/api/1/rollouts/internal`, SPEC)
  t.equal(res.status, 201)
  const etag = res.headers.get('etag')
  t.ok(etag, 'an ETag')
  const r = Rollout.parse(await res.json())
  t.match(r, {
    namespace: 'internal',
    phase: 'pending',
    prefix: '/host/world',
    createdBy: 'anonymous',
    reason: 'build #512',
    before: { dentry: '/host/world=>/srv/world-v1', version: 'AAAAAAAAAAE=' },
  })
  t.match(r.id, /^world-\d{8}t\d{6}-[0-9a-f]{4}$/)

  const got = await fetch(`${base}/api/1/rollouts/internal/${r.id}`)
  t.equal(got.status, 200)
  t.equal(got.headers.get('etag'), etag, 'the ETag is the rollout version')
  t.same(Rollout.parse(await got.json()), r)

  const list = RolloutList.parse(await (await fetch(`${base}/api/1/rollouts`)).json())
  t.equal(list.rollouts.length, 1)
  t.notOk('events' in list.rollouts[0]!, 'a summary has no events')
  // A namespace that does not exist is not one without rollouts (audit 14).
  const other = await fetch(`${base}/api/1/rollouts?namespace=other`)
  t.equal(other.status, 404)
  t.match(await errorOf(other), { error: 'namespace_not_found', message: /"other" does not exist/ })
  t.equal(
    RolloutList.parse(await (await fetch(`${base}/api/1/rollouts?active=false`)).json()).rollouts
      .length,
    0,
    'no ended ones',
  )
  const active = await fetch(`${base}/api/1/rollouts/internal/active?prefix=/host/world`)
  t.equal(active.status, 200)
  t.equal(Rollout.parse(await active.json()).id, r.id)
  const none = await fetch(`${base}/api/1/rollouts/internal/active?prefix=/host/hello`)
  t.equal(none.status, 404)
  t.equal((await errorOf(none)).error, 'rollout_not_found')
  const noPrefix = await fetch(`${base}/api/1/rollouts/internal/active`)
  t.equal(noPrefix.status, 400)
  t.match((await errorOf(noPrefix)).message, /prefix/)
})

t.test('start refusals: 400 with the field, 404, 409 active and mismatch, 503', async (t) => {
  const { base, store } = await world(t)
  const url = `${base}/api/1/rollouts/internal`

  const badStep = await post(url, { ...SPEC, steps: [10, 0, 100] })
  t.equal(badStep.status, 400)
  t.match(await errorOf(badStep), { error: 'invalid_parameter', message: /^body steps\.1: / })
  const notIncreasing = await post(url, { ...SPEC, steps: [50, 10, 100] })
  t.equal(notIncreasing.status, 400)
  t.match(await errorOf(notIncreasing), { error: 'invalid_steps', message: /strictly increase/ })
  const unknownKey = await post(url, { ...SPEC, colour: 'blue' })
  t.equal(unknownKey.status, 400)
  const notJson = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{',
  })
  t.equal(notJson.status, 400)
  t.equal((await errorOf(notJson)).error, 'invalid_json')

  const nowhere = await post(url, { ...SPEC, to: '/srv/world-v9' })
  t.equal(nowhere.status, 400)
  t.equal((await errorOf(nowhere)).error, 'unresolved_destination')

  const missing = await post(`${base}/api/1/rollouts/absent`, SPEC)
  t.equal(missing.status, 404)
  t.equal((await errorOf(missing)).error, 'namespace_not_found')

  const mismatch = await post(url, { ...SPEC, from: '/srv/world-v0' })
  t.equal(mismatch.status, 409)
  t.match(await errorOf(mismatch), {
    error: 'dentry_mismatch',
    message: /\/host\/world=>\/srv\/world-v1/,
  })

  const first = await start(t, base)
  const second = await post(url, SPEC)
  t.equal(second.status, 409)
  const body = await errorOf(second)
  t.equal(body.error, 'rollout_active')
  t.match(body.message, first.id, 'names the active rollout')
  t.equal((await store.rollouts!.list()).length, 1, 'nothing more stored')

  t.equal(
    (await post(url, { ...SPEC, prefix: '/host/hello', from: '/srv/hello-v1' })).status,
    201,
    'another prefix is free',
  )
})

t.test('start with only prefix and to: namerd fills the defaults namerctl uses', async (t) => {
  const { base } = await world(t)
  const res = await post(`${base}/api/1/rollouts/internal`, {
    prefix: '/host/world',
    to: '/srv/world-v2',
  })
  t.equal(res.status, 201)
  const r = Rollout.parse(await res.json())
  t.equal(r.from, '/srv/world-v1', "from is the dentry's tree now")
  t.same(r.steps, [10, 25, 50, 100])
  t.equal(r.intervalMs, 60_000)
  t.equal(r.progressDeadlineMs, 600_000, '10 intervals')
  t.same(r.thresholds, { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 100 })
  t.same(r.metrics, { kind: 'proxies' })
  t.same([r.smoke, r.webhook, r.reason, r.gates], [null, null, null, []])
})

t.test('start with a partial smoke or prometheus block: their own defaults', async (t) => {
  const { base } = await world(t)
  const res = await post(`${base}/api/1/rollouts/internal?dryRun=true`, {
    prefix: '/host/world',
    to: '/srv/world-v2',
    smoke: { url: 'http://127.0.0.1:4140/health' },
    metrics: { kind: 'prometheus', url: 'http://127.0.0.1:9090' },
  })
  t.equal(res.status, 200)
  const { rollout } = (await res.json()) as { rollout: Rollout }
  t.same(rollout.smoke, {
    url: 'http://127.0.0.1:4140/health',
    host: null,
    requests: 20,
    expect: ['2xx'],
    timeoutMs: 5000,
  })
  t.same(rollout.metrics, { kind: 'prometheus', url: 'http://127.0.0.1:9090', lagMs: 10_000 })
})

t.test('start without from on a prefix no dentry has: 409 naming the prefix', async (t) => {
  const { base } = await world(t)
  const res = await post(`${base}/api/1/rollouts/internal`, {
    prefix: '/host/nope',
    to: '/srv/world-v2',
  })
  t.equal(res.status, 409)
  t.match(await errorOf(res), {
    error: 'dentry_mismatch',
    message: /no dentry in internal has the prefix \/host\/nope/,
  })
})

t.test('dryRun: the plan, nothing stored', async (t) => {
  const { base, store } = await world(t)
  const res = await post(`${base}/api/1/rollouts/internal?dryRun=true`, { ...SPEC, gates: [100] })
  t.equal(res.status, 200)
  t.match(await res.json(), {
    ids: { from: ['/#/io.l5d.fs/world-v1'], to: ['/#/io.l5d.fs/world-v2'] },
    steps: [
      { weight: 10, gate: false, dentry: '/host/world=>10.00*/srv/world-v2 & 90.00*/srv/world-v1' },
      { weight: 50, gate: false },
      { weight: 100, gate: true, dentry: '/host/world=>/srv/world-v2' },
    ],
  })
  t.equal((await store.rollouts!.list()).length, 0)
})

t.test('503 rollouts_disabled: a store without rollouts, or rollouts switched off', async (t) => {
  const inner = openMemoryStore()
  // The memory store, less its rollouts facet: what an old or foreign store looks like.
  const bare = new Proxy(inner, {
    get: (target, key) => {
      if (key === 'rollouts') return undefined
      const value = Reflect.get(target, key, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const { base } = await world(t, bare)
  for (const res of [
    await post(`${base}/api/1/rollouts/internal`, SPEC),
    await fetch(`${base}/api/1/rollouts`),
    await post(`${base}/api/1/rollouts/internal/x/pause`, {}),
  ]) {
    t.equal(res.status, 503)
    t.match(await errorOf(res), { error: 'rollouts_disabled', message: /store keeps no rollouts/ })
  }

  const on = await world(t)
  ;(on.server.context as { rollouts: unknown }).rollouts = null
  const off = await post(`${on.base}/api/1/rollouts/internal`, SPEC)
  t.equal(off.status, 503)
  t.match(await errorOf(off), { error: 'rollouts_disabled', message: /rollouts\.enabled/ })
  t.equal((await fetch(`${on.base}/api/1/rollouts`)).status, 200, 'reads still work')
})

t.test('actions: 202 queues the request; 409 where the phase forbids; If-Match', async (t) => {
  const { base, store } = await world(t)
  const r = await start(t, base)
  const act = (action: string, body: unknown = {}, headers: Record<string, string> = {}) =>
    post(`${base}/api/1/rollouts/internal/${r.id}/${action}`, body, headers)

  const paused = await act('pause', { why: 'looking at dashboards' })
  t.equal(paused.status, 202)
  const after = Rollout.parse(await paused.json())
  t.match(after.requests, [{ action: 'pause', who: 'anonymous', why: 'looking at dashboards' }])
  const etag = paused.headers.get('etag')!
  t.equal(etag, versionToETag((await store.rollouts!.get('internal', r.id))!.version))

  const empty = await fetch(`${base}/api/1/rollouts/internal/${r.id}/resume`, { method: 'POST' })
  t.equal(empty.status, 202, 'the body is optional')

  const promote = await act('promote')
  t.equal(promote.status, 409, 'promote while pending')
  t.match(await errorOf(promote), { error: 'action_not_allowed', message: /pending/ })

  const stale = await act('abort', {}, { 'if-match': etag })
  t.equal(stale.status, 412, 'If-Match of a version before the resume')
  t.equal((await errorOf(stale)).error, 'version_mismatch')

  await move(store, r, 'step', 'step 1 of 3')
  const current = (await fetch(`${base}/api/1/rollouts/internal/${r.id}`)).headers.get('etag')!
  const full = await act('promote', { full: true }, { 'if-match': current })
  t.equal(full.status, 202)
  t.equal(Rollout.parse(await full.json()).requests.at(-1)?.action, 'promote-full')

  const fullPause = await act('pause', { full: true })
  t.equal(fullPause.status, 400, 'full is for promote only')
  const unknown = await act('rewind')
  t.equal(unknown.status, 404)
  const noRollout = await post(`${base}/api/1/rollouts/internal/world-nope/pause`, {})
  t.equal(noRollout.status, 404)
  t.equal((await errorOf(noRollout)).error, 'rollout_not_found')

  await move(store, r, 'aborted', 'aborted by a test')
  for (const action of ['pause', 'resume', 'promote', 'abort']) {
    const res = await act(action)
    t.equal(res.status, 409, `${action} once ended`)
    t.match((await errorOf(res)).message, /has ended \(aborted/)
  }
})

t.test('watch: one Rollout per line per change, ending after a terminal state', async (t) => {
  const { base, store } = await world(t)
  const r = await start(t, base)
  const { res, lines } = await watch(t, `${base}/api/1/rollouts/internal/${r.id}?watch=true`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
  t.equal(Rollout.parse(JSON.parse((await lines.next())!)).phase, 'pending')
  await move(store, r, 'step', 'step 1 of 3: shifted')
  t.equal(Rollout.parse(JSON.parse((await lines.next())!)).phase, 'step')
  await move(store, r, 'rolled-back', 'success rate 80% < 99%')
  const last = Rollout.parse(JSON.parse((await lines.next())!))
  t.equal(last.phase, 'rolled-back')
  t.equal(last.outcome, 'success rate 80% < 99%')
  t.equal(await lines.next(), null, 'the stream ends')

  const again = await watch(t, `${base}/api/1/rollouts/internal/${r.id}?watch=true`)
  t.equal(Rollout.parse(JSON.parse((await again.lines.next())!)).phase, 'rolled-back')
  t.equal(await again.lines.next(), null, 'an ended rollout: its state, then the end')

  t.equal(
    (await fetch(`${base}/api/1/rollouts/internal/world-nope?watch=true`)).status,
    404,
    'no stream for a rollout that does not exist',
  )
})

t.test('history: include=rollouts merges events newest first; without it unchanged', async (t) => {
  const { base, store } = await world(t)
  const r = await start(t, base)
  await move(store, r, 'step', 'step 1 of 3: shifted')
  await new Promise((resolve) => setTimeout(resolve, 5))
  await fetch(`${base}/api/1/dtabs/internal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: `${DTAB};/host/x=>/srv/x`,
  })
  const plain = (await (await fetch(`${base}/api/1/dtabs/internal/history`)).json()) as {
    op: string
  }[]
  t.same(
    plain.map((e) => e.op),
    ['put', 'create'],
  )
  const merged = (await (
    await fetch(`${base}/api/1/dtabs/internal/history?include=rollouts`)
  ).json()) as { op: string; rollout?: string; event?: RolloutEvent }[]
  t.same(
    merged.map((e) => e.op),
    ['put', 'rollout', 'rollout', 'create'],
  )
  t.match(merged[1], { rollout: r.id, event: { to: 'step', why: 'step 1 of 3: shifted' } })
  t.match(merged[2], { rollout: r.id, event: { seq: 1, to: 'pending', why: /^started by / } })
  t.equal((await fetch(`${base}/api/1/dtabs/internal/history?include=everything`)).status, 400)
})
