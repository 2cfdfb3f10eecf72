// Smoke staging through a real switchyard-proxy (the built command) routing to real v1 and v2
// backends: each request carries `l5d-dtab: <prefix> => <to>`, and passes only when its status
// is expected AND the proxy's l5d-dst-client says it reached `to`.
import { Rollout, type Smoke } from '@switchyard/wire'
import t from 'tap'
import { runSmoke, statusExpected, stripId } from '../src/rollouts/smoke.js'
import { type World, world } from './rollouts-world.js'

const NOW = new Date().toISOString()

/** A rollout of /svc/world from v1 to `to`, as namerd would hold it in its smoke phase. */
function rollout(to: string, smoke: Smoke): Rollout {
  return Rollout.parse({
    prefix: '/svc/world',
    from: '/$/inet/127.0.0.1/1',
    to,
    steps: [50, 100],
    intervalMs: 1000,
    progressDeadlineMs: 10_000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 10 },
    smoke,
    gates: [],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: null,
    id: 'world-smoke-1',
    namespace: 'internal',
    phase: 'smoke',
    step: null,
    pause: null,
    before: {
      version: 'AAAAAAAAAAE=',
      dtab: '/svc/world=>/$/inet/127.0.0.1/1;',
      dentry: '/svc/world=>/$/inet/127.0.0.1/1',
    },
    lastWritten: null,
    intent: null,
    requests: [],
    stepRecords: [],
    smokeResult: null,
    events: [],
    webhookDelivered: 0,
    createdBy: 'test',
    createdAt: NOW,
    updatedAt: NOW,
    endedAt: null,
    outcome: null,
  })
}

const smokeThrough = (w: World, more: Partial<Smoke> = {}): Smoke => ({
  url: `http://127.0.0.1:${w.port}/`,
  host: 'world',
  requests: 10,
  expect: ['2xx'],
  timeoutMs: 2000,
  ...more,
})

t.test('a healthy v2: every request reaches it and passes; v1 sees none', async (t) => {
  const w = await world(t)
  const result = await runSmoke(rollout(w.v2.id, smokeThrough(w)), [w.v2.id])
  t.same(result, { sent: 10, passed: 10, firstFailure: null })
  t.equal(w.v2.received, 10)
  t.equal(w.v1.received, 0, 'the override routed each smoke request, and only those')
})

t.test('a v2 answering 500 fails, quoting the status, the header and the body', async (t) => {
  const w = await world(t)
  w.v2.status = 500
  const result = await runSmoke(rollout(w.v2.id, smokeThrough(w)), [w.v2.id])
  t.equal(result.passed, 0)
  t.ok(result.sent >= 1 && result.sent <= 4, `stops after the first failure (sent ${result.sent})`)
  t.match(
    result.firstFailure,
    /^smoke request 1 of 10 \(GET http:\/\/127\.0\.0\.1:\d+\/ Host world\): /,
  )
  t.match(result.firstFailure, 'status 500, expected 2xx')
  t.match(result.firstFailure, `l5d-dst-client ${w.v2.id}`)
  t.match(result.firstFailure, 'body "{\\"service\\":\\"world\\",\\"version\\":\\"v2\\"}"')

  // An exact expected status: 500 is what this rollout's smoke wants.
  const wants500 = await runSmoke(rollout(w.v2.id, smokeThrough(w, { expect: ['500'] })), [w.v2.id])
  t.same(wants500, { sent: 10, passed: 10, firstFailure: null })
})

t.test('an override that falls back to v1 answers 200 and still fails', async (t) => {
  const w = await world(t)
  // The proxy has no io.l5d.fs namer: the override binds nothing, and Linkerd's rules fall
  // back to the dtab's own /svc/world, v1.
  const to = '/#/io.l5d.fs/world-v2'
  const result = await runSmoke(rollout(to, smokeThrough(w)), [to])
  t.equal(result.passed, 0)
  t.match(result.firstFailure, `routed to ${w.v1.id}, not to ${to} (${to})`)
  t.notMatch(result.firstFailure, 'expected 2xx', 'the status was fine')
  t.ok(w.v1.received >= 1)
  t.equal(w.v2.received, 0)
})

t.test('a server that writes no l5d-dst-client fails with the clearContext hint', async (t) => {
  const w = await world(t)
  // Straight to the backend: a 200 from v2, but nothing says which version answered.
  const direct = smokeThrough(w, { url: `http://127.0.0.1:${w.v2.port}/` })
  const result = await runSmoke(rollout(w.v2.id, direct), [w.v2.id])
  t.equal(result.passed, 0)
  t.match(result.firstFailure, 'no l5d-dst-client header')
  t.match(result.firstFailure, 'without clearContext')
})

t.test('an unreachable smoke URL fails, and a slow one times out', async (t) => {
  const w = await world(t)
  const dead = smokeThrough(w, { url: 'http://127.0.0.1:1/', host: null })
  const result = await runSmoke(rollout(w.v2.id, dead), [w.v2.id])
  t.equal(result.passed, 0)
  t.match(
    result.firstFailure,
    /^smoke request 1 of 10 \(GET http:\/\/127\.0\.0\.1:1\/\) got no answer: .*ECONNREFUSED/,
  )

  w.v2.delayMs = 1000
  const slow = await runSmoke(rollout(w.v2.id, smokeThrough(w, { timeoutMs: 100 })), [w.v2.id])
  t.equal(slow.passed, 0)
  t.match(slow.firstFailure, 'got no answer: no answer within 100 ms (the smoke timeout)')
})

t.test('an abort stops the smoke and rejects', async (t) => {
  const w = await world(t)
  w.v2.delayMs = 200
  const abort = new AbortController()
  const running = runSmoke(rollout(w.v2.id, smokeThrough(w, { requests: 100 })), [w.v2.id], {
    signal: abort.signal,
  })
  setTimeout(() => abort.abort(new Error('deposed')), 50)
  await t.rejects(running, /deposed/)
})

t.test('expected statuses and transformer prefixes', async (t) => {
  const rows: [number, string[], boolean][] = [
    [200, ['2xx'], true],
    [204, ['2xx'], true],
    [299, ['2xx'], true],
    [301, ['2xx'], false],
    [204, ['200', '204'], true],
    [201, ['200', '204'], false],
    [404, ['2xx', '404'], true],
    [500, ['5xx'], true],
  ]
  for (const [status, expect, want] of rows) {
    t.equal(statusExpected(status, expect), want, `${status} in ${expect.join(',')}`)
  }
  t.equal(stripId('/%/io.l5d.port/4141/#/io.l5d.fs/world-v2'), '/#/io.l5d.fs/world-v2')
  t.equal(stripId('/$/inet/127.0.0.1/9002'), '/$/inet/127.0.0.1/9002')
  t.equal(stripId('not a path'), 'not a path')
})
