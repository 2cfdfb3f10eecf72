// A rollout's webhook against a real HTTP receiver on 127.0.0.1: each event POSTed once it is
// acknowledged, in order, with its event id; failures retried with backoff (short here, through
// the option), a dead receiver never holding up notify or another rollout.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Rollout, type RolloutEvent } from '@switchyard/wire'
import t from 'tap'
import {
  analysisFor,
  defaultBackoff,
  WEBHOOK_ATTEMPTS,
  WEBHOOK_QUEUE_MAX,
  WebhookNotifier,
  type WebhookPayload,
} from '../src/rollouts/webhook.js'

/** The part of a tap test these helpers need. */
interface Tap {
  teardown(fn: () => unknown): void
}

interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: WebhookPayload
  readonly status: number
}

/** A receiver answering each POST with the next of `statuses` (the last one repeats). */
async function receiver(t: Tap, statuses: number[]) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => {
      text += d
    })
    req.on('end', () => {
      const status = statuses.length > 1 ? statuses.shift()! : statuses[0]!
      received.push({ headers: req.headers, body: JSON.parse(text) as WebhookPayload, status })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, received }
}

const NOW = new Date().toISOString()

function rollout(id: string, webhook: string | null): Rollout {
  return Rollout.parse({
    prefix: '/host/world',
    from: '/srv/world-v1',
    to: '/srv/world-v2',
    steps: [50, 100],
    intervalMs: 1000,
    progressDeadlineMs: 10_000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 10 },
    smoke: null,
    gates: [],
    metrics: { kind: 'proxies' },
    webhook,
    reason: null,
    id,
    namespace: 'internal',
    phase: 'step',
    step: 0,
    pause: null,
    before: { version: 'AAAAAAAAAAE=', dtab: '', dentry: '' },
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

const event = (seq: number, weight: number | null = seq * 10): RolloutEvent => ({
  seq,
  time: NOW,
  from: 'step',
  to: 'step',
  step: seq,
  weight,
  who: 'controller@test',
  why: `event ${seq}`,
  dtabVersion: null,
})

/** A notifier whose deliveries and log lines the test reads. */
function notifier(t: Tap, backoff = (_n: number) => 5) {
  const delivered: string[] = []
  const warnings: string[] = []
  const infos: string[] = []
  const n = new WebhookNotifier({
    log: { warn: (_obj, msg) => warnings.push(msg), info: (_obj, msg) => infos.push(msg) },
    onDelivered: (ns, id, seq) => delivered.push(`${ns}/${id}/${seq}`),
    backoff,
    timeoutMs: 2000,
  })
  t.teardown(() => n.close())
  return { n, delivered, warnings, infos }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

t.test('failing twice, then 200: each event delivered once, in order', async (t) => {
  const hook = await receiver(t, [500, 503, 200])
  const { n, delivered } = notifier(t)
  const r = rollout('world-1', hook.url)
  const analysis = null
  for (const seq of [1, 2, 3]) n.notify(r, event(seq), analysis)
  await until('3 deliveries', () => delivered.length === 3)
  t.same(delivered, ['internal/world-1/1', 'internal/world-1/2', 'internal/world-1/3'])
  t.same(
    hook.received.map((x) => `${x.headers['switchyard-event-id']} ${x.status}`),
    ['world-1/1 500', 'world-1/1 503', 'world-1/1 200', 'world-1/2 200', 'world-1/3 200'],
    'the first event retried until acknowledged; the others waited behind it',
  )
  const first = hook.received[2]!
  t.equal(first.headers['content-type'], 'application/json')
  t.same(first.body, {
    rollout: {
      id: 'world-1',
      namespace: 'internal',
      prefix: '/host/world',
      from: '/srv/world-v1',
      to: '/srv/world-v2',
    },
    event: event(1),
    phase: 'step',
    weight: 10,
    analysis: null,
  })

  // A resend of what was acknowledged (a new leader's, say) is not sent again.
  n.notify(r, event(2), null)
  await new Promise((r) => setTimeout(r, 50))
  t.equal(hook.received.length, 5)
})

t.test('a dead receiver never blocks notify, nor another rollout', async (t) => {
  const dead = 'http://127.0.0.1:1/hook'
  const hook = await receiver(t, [200])
  const { n, delivered, warnings } = notifier(t)
  const stuck = rollout('stuck', dead)
  const returned = []
  for (let seq = 1; seq <= 50; seq++) returned.push(n.notify(stuck, event(seq), null))
  t.ok(
    returned.every((r) => r === undefined),
    'notify returns at once, with nothing to wait for',
  )
  const live = rollout('live', hook.url)
  n.notify(live, event(1), null)
  n.notify(live, event(2), null)
  await until('the live rollout delivered', () => delivered.length === 2)
  t.same(delivered, ['internal/live/1', 'internal/live/2'])
  await until('the first dead event given up', () => warnings.length >= 2)
  t.match(warnings[0], `webhook: delivering event stuck/1 to ${dead} failed (`)
  t.match(
    warnings[1],
    `webhook: gave up on event stuck/1 after ${WEBHOOK_ATTEMPTS} attempts to ${dead} (last: `,
  )
  t.match(warnings[1], 'sending the next')
})

t.test('an event refused 10 times is dropped, and the next one still goes, in order', async (t) => {
  const statuses = [...Array(WEBHOOK_ATTEMPTS).fill(500), 200]
  const hook = await receiver(t, statuses)
  const { n, delivered, warnings } = notifier(t, () => 1)
  const r = rollout('world-2', hook.url)
  n.notify(r, event(1), null)
  n.notify(r, event(2), null)
  await until('event 2 delivered', () => delivered.length === 1)
  t.same(delivered, ['internal/world-2/2'])
  t.equal(hook.received.filter((x) => x.body.event.seq === 1).length, WEBHOOK_ATTEMPTS)
  t.equal(warnings.length, 2, 'the streak once at its start, and the event given up')
  t.match(warnings[1], `gave up on event world-2/1 after ${WEBHOOK_ATTEMPTS} attempts`)
  t.match(warnings[1], '(last: HTTP 500)')
})

t.test(
  'an event given up on is reported through onGaveUp, for the controller to record',
  async (t) => {
    const hook = await receiver(t, Array(WEBHOOK_ATTEMPTS).fill(500))
    const gaveUp: string[] = []
    const n = new WebhookNotifier({
      log: { warn: () => {}, info: () => {} },
      onDelivered: () => {},
      onGaveUp: (ns, id, seq) => gaveUp.push(`${ns}/${id}/${seq}`),
      backoff: () => 1,
      timeoutMs: 2000,
    })
    t.teardown(() => n.close())
    n.notify(rollout('world-3', hook.url), event(1), null)
    await until('given up', () => gaveUp.length === 1)
    t.same(gaveUp, ['internal/world-3/1'])
    t.equal(hook.received.length, WEBHOOK_ATTEMPTS)
  },
)

t.test('close stops the retries', async (t) => {
  const hook = await receiver(t, [500])
  const { n, delivered } = notifier(t, () => 30)
  n.notify(rollout('world-3', hook.url), event(1), null)
  await until('a first attempt', () => hook.received.length >= 1)
  await n.close()
  const seen = hook.received.length
  await new Promise((r) => setTimeout(r, 150))
  t.equal(hook.received.length, seen, 'no attempt after close')
  t.same(delivered, [])
  n.notify(rollout('world-3', hook.url), event(2), null)
  await new Promise((r) => setTimeout(r, 50))
  t.equal(hook.received.length, seen, 'notify after close does nothing')
})

t.test(
  'a queue holds WEBHOOK_QUEUE_MAX events; past it the oldest waiting is dropped, said',
  async (t) => {
    const { n, warnings } = notifier(t, () => 60_000)
    const r = rollout('flood', 'http://127.0.0.1:1/hook')
    for (let seq = 1; seq <= WEBHOOK_QUEUE_MAX + 1; seq++) n.notify(r, event(seq), null)
    t.equal(warnings.length, 1)
    t.match(
      warnings[0],
      /^webhook: 500 events of rollout internal\/flood wait for http:\/\/127\.0\.0\.1:1\/hook; dropped the oldest waiting, event [12]$/,
    )
  },
)

t.test('a rollout without a webhook posts nothing', async (t) => {
  const { n, delivered } = notifier(t)
  n.notify(rollout('quiet', null), event(1), null)
  await new Promise((r) => setTimeout(r, 30))
  t.same(delivered, [])
})

t.test('the default backoff: 0.5, 1, 2, … seconds, at most 60', async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(defaultBackoff),
    [500, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000],
  )
})

t.test(
  'a failing receiver is logged once per streak, with its URL and error, and its recovery',
  async (t) => {
    const hook = await receiver(t, [500, 503, 502, 200])
    const { n, delivered, warnings, infos } = notifier(t)
    const r = rollout('world-4', hook.url)
    n.notify(r, event(1), null)
    n.notify(r, event(2), null)
    await until('2 deliveries', () => delivered.length === 2)
    t.equal(warnings.length, 1, 'three failures in a row: one warning')
    t.match(warnings[0], hook.url)
    t.match(warnings[0], 'HTTP 500')
    t.equal(infos.length, 1, 'one line when it answers again')
    t.match(
      infos[0],
      `${hook.url} answers again for rollout internal/world-4 (after 3 failed attempts)`,
    )
  },
)

t.test('a move to the next step reports the step that just ended, not the new one', async (t) => {
  const T0 = '2026-12-05T06:00:00.000Z'
  const T1 = '2026-12-05T06:00:05.000Z'
  const rec = (index: number, weight: number, startedAt: string, windowEnd: string | null) => ({
    index,
    weight,
    startedAt,
    shiftedVersion: null,
    windowStart: startedAt,
    windowEnd,
    checks: 3,
    verdict: windowEnd === null ? ('pending' as const) : ('pass' as const),
    from: null,
    to: null,
    failed: null,
  })
  const passed = rec(0, 50, T0, '2026-12-05T06:00:04.900Z')
  const fresh = rec(1, 100, T1, null)
  const r = { ...rollout('world-5', null), step: 1, stepRecords: [passed, fresh] }
  const move: RolloutEvent = { ...event(3), time: T1, step: 1, weight: 100 }
  t.same(analysisFor(r, move), passed, 'step 1 passed: its record')
  const pause: RolloutEvent = { ...event(4), time: '2026-12-05T06:00:06.000Z', step: 1 }
  t.same(analysisFor(r, pause), fresh, 'a pause within step 2: its own record')
  const gate: RolloutEvent = { ...event(3), to: 'gate', time: T1, step: 1 }
  t.same(analysisFor({ ...r, stepRecords: [passed] }, gate), passed, 'a gate after a pass')
  const started: RolloutEvent = { ...event(1), from: 'pending', to: 'pending', step: null }
  t.equal(analysisFor(r, started), null, 'the start (resent later) reports on no step')

  // What the receiver gets: the controller passes the newest record, the webhook sends the right one.
  const hook = await receiver(t, [200])
  const { n, delivered } = notifier(t)
  n.notify({ ...r, webhook: hook.url }, move, fresh)
  await until('the delivery', () => delivered.length === 1)
  t.same(hook.received[0]?.body.analysis, passed, "the POST carries the passed step's record")
})
