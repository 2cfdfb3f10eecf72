// The rollout state machine (machine.ts), pure: table tests of every rule of design §1, and
// random sequences of inputs that never break its invariants.
import { Dtab } from '@switchyard/dtab'
import {
  isTerminal,
  MAX_ROLLOUT_EVENTS,
  Rollout,
  type RolloutAction,
  type VersionStats,
} from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { stepDentry } from '../src/rollouts/dentry.js'
import {
  type Advance,
  advance,
  applyConflict,
  applyWrite,
  awaitingProxies,
  type MachineInputs,
  type SmokeResult,
  startWindow,
  takeOverWindow,
} from '../src/rollouts/machine.js'
import type { Judge, ReadResult } from '../src/rollouts/sources/source.js'

const T0 = Date.parse('2026-12-05T04:48:12Z')
const at = (ms: number): Date => new Date(T0 + ms)
const BEFORE = '/srv=>/#/io.l5d.fs;/host/world=>/srv/world-v1'

function rollout(over: Partial<Rollout> = {}): Rollout {
  return {
    prefix: '/host/world',
    from: '/srv/world-v1',
    to: '/srv/world-v2',
    steps: [10, 50, 100],
    intervalMs: 1000,
    progressDeadlineMs: 5000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: 300, minRequests: 20 },
    smoke: null,
    gates: [],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: null,
    id: 'world-1',
    namespace: 'internal',
    phase: 'pending',
    step: null,
    pause: null,
    before: { version: 'v0', dtab: BEFORE, dentry: '/host/world=>/srv/world-v1' },
    lastWritten: null,
    intent: null,
    requests: [],
    stepRecords: [],
    smokeResult: null,
    events: [],
    webhookDelivered: 0,
    createdBy: 'jenkins',
    createdAt: at(0).toISOString(),
    updatedAt: at(0).toISOString(),
    endedAt: null,
    outcome: null,
    ...over,
  }
}

/** A judge as task 4's: insufficient below minRequests, fail under the rate, pass at the end. */
const judge: Judge = (reading, th, final) => {
  if (reading.to.requests < th.minRequests) return { verdict: 'insufficient' }
  const rate = reading.to.successRate ?? 0
  if (rate < th.minSuccessRate) {
    return {
      verdict: 'fail',
      metric: 'success-rate',
      value: rate,
      threshold: th.minSuccessRate,
      detail: `success rate ${rate} < ${th.minSuccessRate} (${reading.to.requests} requests)`,
    }
  }
  return { verdict: final ? 'pass' : 'continue' }
}

const stats = (requests: number, rate: number): VersionStats => ({
  ids: ['/#/io.l5d.fs/world-v2'],
  requests,
  successes: Math.round(requests * rate),
  failures: requests - Math.round(requests * rate),
  successRate: requests === 0 ? null : rate,
  p99Ms: 10,
  ratePerSec: requests,
})
const reading = (ms: number, requests: number, rate: number): ReadResult => ({
  ok: true,
  reading: { from: stats(100, 1), to: stats(requests, rate), proxies: 1, at: at(ms) },
})

/** The world around the machine: a dtab holding a dentry, and a writer that always succeeds. */
class World {
  dentry = '/host/world=>/srv/world-v1'
  version = 0
  r: Rollout
  writes: string[] = []
  constructor(r: Rollout) {
    this.r = r
  }
  inputs(ms: number, over: Partial<MachineInputs> = {}): MachineInputs {
    return {
      now: at(ms),
      who: 'controller@n1',
      dtab: { version: `v${this.version}`, dentry: this.dentry },
      reading: null,
      smoke: null,
      judge,
      ...over,
    }
  }
  /** advance, then carry out a write effect as the writer would. */
  step(ms: number, over: Partial<MachineInputs> = {}): Advance {
    const out = advance(this.r, this.inputs(ms, over))
    this.r = out.next
    for (const e of out.effects) {
      if (e.type !== 'write-dtab') continue
      this.dentry = e.intent.dentry
      this.version++
      this.writes.push(e.intent.dentry)
      this.r = applyWrite(this.r, {
        now: at(ms),
        who: 'controller@n1',
        version: `v${this.version}`,
        dentry: e.intent.dentry,
      }).next
    }
    t.ok(Rollout.safeParse(this.r).success, 'the rollout stays valid')
    return out
  }
  request(action: RolloutAction, who = 'alice'): void {
    this.r = {
      ...this.r,
      requests: [...this.r.requests, { action, who, why: null, at: at(0).toISOString() }],
    }
  }
}

t.test(
  'a healthy rollout: each step shifts, passes at the end of its interval, succeeds',
  async (t) => {
    const w = new World(rollout())
    w.step(0)
    t.equal(w.r.phase, 'step')
    t.equal(w.r.step, 0)
    t.equal(w.dentry, '/host/world=>10.00*/srv/world-v2 & 90.00*/srv/world-v1')
    t.equal(w.r.stepRecords[0]?.shiftedVersion, 'v1')
    t.equal(w.r.events.at(-1)?.dtabVersion, 'v1', 'the step event names its write')
    w.step(500, { reading: reading(500, 50, 1) })
    t.equal(w.r.stepRecords[0]?.verdict, 'pending', 'not final before the interval ends')
    t.equal(w.r.step, 0)
    w.step(1000, { reading: reading(1000, 80, 1) })
    t.equal(w.r.stepRecords[0]?.verdict, 'pass')
    t.equal(w.r.step, 1)
    t.equal(w.dentry, '/host/world=>50.00*/srv/world-v2 & 50.00*/srv/world-v1')
    w.step(2000, { reading: reading(2000, 80, 1) })
    t.equal(w.dentry, '/host/world=>/srv/world-v2', 'the last step writes the plain to')
    w.step(3000, { reading: reading(3000, 80, 1) })
    t.equal(w.r.phase, 'succeeded')
    t.equal(w.r.endedAt, at(3000).toISOString())
    t.match(w.r.outcome, /has all the traffic/)
    t.same(
      w.r.events.map((e) => e.seq),
      w.r.events.map((_, i) => i + 1),
    )
    const after = advance(w.r, w.inputs(9000, { reading: reading(9000, 0, 0) }))
    t.equal(after.next, w.r, 'terminal never changes')
    t.same(after.effects, [])
  },
)

t.test('fail fast: a failing to is rolled back before the interval ends', async (t) => {
  const w = new World(rollout())
  w.step(0)
  w.step(200, { reading: reading(200, 40, 0.8) })
  t.equal(w.r.stepRecords[0]?.verdict, 'fail')
  t.equal(w.r.stepRecords[0]?.failed?.metric, 'success-rate')
  t.equal(w.r.phase, 'rolled-back', 'the rollback write is acknowledged at once here')
  t.equal(w.dentry, '/host/world=>/srv/world-v1')
  t.same(
    w.r.events.map((e) => e.to),
    ['step', 'rolling-back', 'rolled-back'],
  )
  t.match(w.r.outcome, /step 1 of 3 \(10%\): success rate 0.8 < 0.99/)
})

t.test(
  'insufficient traffic extends the window, then fails at the progress deadline',
  async (t) => {
    const w = new World(rollout())
    w.step(0)
    w.step(1000, { reading: reading(1000, 5, 1) })
    t.equal(w.r.stepRecords[0]?.verdict, 'insufficient')
    t.equal(w.r.phase, 'step')
    w.step(4999, { reading: reading(4999, 19, 1) })
    t.equal(w.r.phase, 'step')
    w.step(5000, { reading: reading(5000, 19, 1) })
    t.equal(w.r.phase, 'rolled-back')
    t.equal(w.r.stepRecords[0]?.failed?.metric, 'progress-deadline')
  },
)

t.test('the progress deadline counts from the step start, not the restarted window', async (t) => {
  // progressDeadlineMs 5000, minRequests 20; the step starts (and is written) at 0.
  const cases: {
    name: string
    /** Before the last reading: a user pause at 100 resumed at `resumeAt`, or none. */
    resumeAt: number | null
    /** A metrics pause at 200 ended by a reading at `readableAt`, or none. */
    readableAt: number | null
    at: number
    requests: number
    phase: Rollout['phase']
  }[] = [
    {
      name: 'no pause, before the deadline',
      resumeAt: null,
      readableAt: null,
      at: 4999,
      requests: 5,
      phase: 'step',
    },
    {
      name: 'no pause, at the deadline',
      resumeAt: null,
      readableAt: null,
      at: 5000,
      requests: 5,
      phase: 'rolled-back',
    },
    {
      name: 'resumed at 4000: the deadline is still 5000',
      resumeAt: 4000,
      readableAt: null,
      at: 5000,
      requests: 5,
      phase: 'rolled-back',
    },
    {
      name: 'resumed at 4000, before the deadline',
      resumeAt: 4000,
      readableAt: null,
      at: 4900,
      requests: 5,
      phase: 'step',
    },
    {
      name: 'metrics back at 4500: the deadline is still 5000',
      resumeAt: null,
      readableAt: 4500,
      at: 5200,
      requests: 5,
      phase: 'rolled-back',
    },
    {
      name: 'enough traffic after the deadline is not a deadline',
      resumeAt: 4000,
      readableAt: null,
      at: 5000,
      requests: 50,
      phase: 'step',
    },
  ]
  for (const c of cases) {
    const w = new World(rollout())
    w.step(0)
    if (c.resumeAt !== null) {
      w.request('pause')
      w.step(100)
      w.request('resume')
      w.step(c.resumeAt)
      t.equal(
        w.r.stepRecords[0]?.windowStart,
        at(c.resumeAt).toISOString(),
        `${c.name}: window restarted`,
      )
    }
    if (c.readableAt !== null) {
      w.step(200, { reading: { ok: false, problem: 'down' } })
      w.step(c.readableAt, { reading: reading(c.readableAt, 1, 1) })
      t.equal(w.r.pause, null, `${c.name}: metrics pause ended`)
    }
    w.step(c.at, { reading: reading(c.at, c.requests, 1) })
    t.equal(w.r.phase, c.phase, c.name)
    if (c.phase === 'rolled-back') {
      t.equal(w.r.stepRecords[0]?.failed?.metric, 'progress-deadline', `${c.name}: metric`)
      t.match(w.r.outcome, /from the step's start/, `${c.name}: the why says from when`)
    }
  }
})

t.test(
  'unreadable metrics pause by metrics, never pass, and resume with a fresh window',
  async (t) => {
    const w = new World(rollout())
    w.step(0)
    w.step(900, { reading: { ok: false, problem: 'proxy 127.0.0.1:9990 did not answer twice' } })
    t.equal(w.r.pause?.by, 'metrics')
    t.equal(w.r.stepRecords[0]?.verdict, 'unreadable')
    w.step(1500, { reading: { ok: false, problem: 'still' } })
    t.equal(w.r.phase, 'step')
    w.step(2000, { reading: reading(2000, 100, 1) })
    t.equal(w.r.pause, null, 'the metrics pause clears itself')
    t.equal(w.r.step, 0, 'the reading that ended the pause does not pass the step')
    t.equal(w.r.stepRecords[0]?.windowStart, at(2000).toISOString(), 'a fresh window')
    w.step(2500, { reading: reading(2500, 100, 1) })
    t.equal(w.r.step, 0)
    w.step(3000, { reading: reading(3000, 100, 1) })
    t.equal(w.r.step, 1)
  },
)

t.test('pause is an overlay; resume starts the window again', async (t) => {
  const w = new World(rollout())
  w.step(0)
  w.request('pause')
  w.step(100)
  t.equal(w.r.pause?.by, 'user')
  t.equal(w.r.phase, 'step')
  w.step(2000, { reading: reading(2000, 100, 0.5) })
  t.equal(w.r.phase, 'step', 'no analysis while paused')
  w.request('resume')
  w.step(3000)
  t.equal(w.r.pause, null)
  t.equal(w.r.stepRecords[0]?.windowStart, at(3000).toISOString())
  t.same(w.r.requests, [], 'requests are taken')
  t.match(w.r.events.at(-1)?.why, /resumed by alice/)
  t.equal(w.r.events.at(-1)?.who, 'alice')
})

t.test(
  'a pause of a paused rollout, or a resume of a running one, is answered, not dropped',
  async (t) => {
    const w = new World(rollout())
    w.step(0)
    w.request('resume')
    w.step(100)
    t.same(w.r.requests, [])
    t.match(w.r.events.at(-1)?.why, /resume ignored: it is not paused/)
    w.request('pause')
    w.step(200)
    w.request('pause')
    w.step(300)
    t.equal(w.r.pause?.by, 'user', 'still paused once')
    t.match(w.r.events.at(-1)?.why, /pause ignored: it is already paused \(by alice since /)
  },
)

t.test('gates wait for promote; promote skips a step; promote-full succeeds', async (t) => {
  const w = new World(rollout({ gates: [50] }))
  w.step(0)
  w.step(1000, { reading: reading(1000, 50, 1) })
  t.equal(w.r.phase, 'gate')
  t.equal(w.r.step, 1)
  t.equal(
    w.dentry,
    stepDentry('/host/world', '/srv/world-v1', '/srv/world-v2', 10),
    'the weight stays',
  )
  w.step(5000, { reading: reading(5000, 50, 1) })
  t.equal(w.r.phase, 'gate', 'still waiting')
  w.request('promote')
  w.step(6000)
  t.equal(w.r.phase, 'step')
  t.equal(w.dentry, stepDentry('/host/world', '/srv/world-v1', '/srv/world-v2', 50))
  w.request('promote')
  w.step(6100)
  t.equal(w.r.stepRecords[1]?.verdict, 'skipped')
  t.equal(w.r.step, 2)
  const full = new World(rollout())
  full.step(0)
  full.request('promote-full', 'bob')
  full.step(100)
  t.equal(full.r.phase, 'succeeded')
  t.equal(full.dentry, '/host/world=>/srv/world-v2')
  t.equal(full.r.events.at(-1)?.dtabVersion, 'v2')
})

t.test('abort rolls back to aborted; before any write it ends at once', async (t) => {
  const w = new World(rollout())
  w.step(0)
  w.request('abort', 'carol')
  w.step(100)
  t.equal(w.r.phase, 'aborted')
  t.equal(w.dentry, '/host/world=>/srv/world-v1')
  t.match(w.r.outcome, /^aborted by carol/)
  const early = new World(rollout({ gates: [10] }))
  early.step(0)
  t.equal(early.r.phase, 'gate')
  early.request('abort')
  early.step(100)
  t.equal(early.r.phase, 'aborted')
  t.same(early.writes, [], 'nothing written')
})

t.test(
  'a request queued when the rollout ends is answered as too late, never dropped',
  async (t) => {
    // Before any write: the abort ends the rollout; the pause behind it came too late.
    const early = new World(rollout({ gates: [10] }))
    early.step(0)
    early.request('abort', 'carol')
    early.request('pause', 'dave')
    early.step(100)
    t.equal(early.r.phase, 'aborted')
    t.match(early.r.outcome, /^aborted by carol/, 'the outcome stays the abort')
    t.same(early.r.requests, [])
    t.match(early.r.events.at(-1), {
      who: 'dave',
      from: 'aborted',
      to: 'aborted',
      why: 'pause by dave came after the rollout aborted; nothing was done',
    })
    // An abort appended while the last write was being recorded (the writer applies the write to
    // the fresh rollout): the rollout succeeds, and its events say the abort was too late.
    const w = new World(rollout())
    w.step(0)
    w.request('promote-full')
    const out = advance(w.r, w.inputs(100))
    const write = out.effects.find((e) => e.type === 'write-dtab')
    t.ok(write, 'promote --full writes')
    const withAbort: Rollout = {
      ...out.next,
      requests: [{ action: 'abort', who: 'erin', why: 'wrong build', at: at(100).toISOString() }],
    }
    const done = applyWrite(withAbort, {
      now: at(120),
      who: 'controller@n1',
      version: 'v2',
      dentry: '/host/world=>/srv/world-v2',
    })
    t.equal(done.next.phase, 'succeeded')
    t.same(done.next.requests, [])
    t.match(done.next.outcome, /promote --full/)
    t.equal(
      done.next.events.at(-1)?.why,
      'abort by erin (wrong build) came after the rollout succeeded; nothing was done',
    )
    t.equal(done.effects.filter((e) => e.type === 'notify').length, 2, 'both events are announced')
  },
)

t.test(
  'unreadable metrics: no traffic is shifted, and a pause by metrics is bounded',
  async (t) => {
    const bad = { ok: false as const, problem: 'Prometheus at http://p:9090 cannot be reached' }
    const waiting = { ok: false as const, problem: 'waiting for proxies', waiting: true }
    const unreadable: ReadResult = { ok: false, problem: 'proxy at 127.0.0.1:9 failed 2 reads' }
    // progressDeadlineMs 5000. Each row: the inputs at successive times, then what must hold.
    const cases: {
      name: string
      moves: [number, Partial<MachineInputs>][]
      phase: Rollout['phase']
      pause: 'metrics' | null
      writes: number
      why?: RegExp
    }[] = [
      {
        name: 'unreadable before the first write: paused at pending, nothing written',
        moves: [[0, { probe: bad }]],
        phase: 'pending',
        pause: 'metrics',
        writes: 0,
        why: /paused before shifting any traffic: metrics unreadable \(Prometheus at http:\/\/p:9090 cannot be reached\)/,
      },
      {
        name: 'waiting for proxies: no pause, nothing written',
        moves: [[0, { probe: waiting }]],
        phase: 'pending',
        pause: null,
        writes: 0,
      },
      {
        name: 'readable again: taken up, the first step written',
        moves: [
          [0, { probe: bad }],
          [1000, { probe: bad }],
          [2000, { probe: { ok: true } }],
        ],
        phase: 'step',
        pause: null,
        writes: 1,
      },
      {
        name: 'unreadable at pending just under the deadline: still pending',
        moves: [
          [0, { probe: bad }],
          [4999, { probe: bad }],
        ],
        phase: 'pending',
        pause: 'metrics',
        writes: 0,
      },
      {
        name: 'unreadable at pending for the deadline: rolled-back, nothing written',
        moves: [
          [0, { probe: bad }],
          [5000, { probe: bad }],
        ],
        phase: 'rolled-back',
        pause: null,
        writes: 0,
        why: /^progress deadline: metrics unreadable since 2026-12-05T04:48:12.000Z \(Prometheus .*\), 5 s; the dtab was never written$/,
      },
      {
        name: 'paused by metrics at a step just under the deadline: still paused',
        moves: [
          [0, {}],
          [100, { reading: unreadable }],
          [5099, { reading: unreadable }],
        ],
        phase: 'step',
        pause: 'metrics',
        writes: 1,
      },
      {
        name: 'paused by metrics at a step for the deadline: rolled back, the dtab restored',
        moves: [
          [0, {}],
          [100, { reading: unreadable }],
          [5100, { reading: unreadable }],
        ],
        phase: 'rolled-back',
        pause: null,
        writes: 2,
        why: /^step 1 of 3 \(10%\): progress deadline: metrics unreadable since 2026-12-05T04:48:12.100Z \(proxy at 127.0.0.1:9 failed 2 reads\)/,
      },
      {
        name: 'paused by metrics at a step, readable before the deadline: resumes',
        moves: [
          [0, {}],
          [100, { reading: unreadable }],
          [3000, { reading: reading(3000, 0, 1) }],
        ],
        phase: 'step',
        pause: null,
        writes: 1,
      },
    ]
    for (const c of cases) {
      const w = new World(rollout())
      for (const [ms, over] of c.moves) w.step(ms, over)
      t.equal(w.r.phase, c.phase, `${c.name}: phase`)
      t.equal(w.r.pause?.by ?? null, c.pause, `${c.name}: pause`)
      t.equal(w.writes.length, c.writes, `${c.name}: writes`)
      if (c.why) t.match(w.r.events.at(-1)?.why, c.why, `${c.name}: why`)
      if (c.phase === 'rolled-back') {
        t.equal(w.dentry, '/host/world=>/srv/world-v1', `${c.name}: the dentry from before`)
        if (c.writes > 0) t.equal(w.r.stepRecords[0]?.failed?.metric, 'progress-deadline')
      }
    }
  },
)

t.test('smoke: effect until a result; failure ends rolled-back without a write', async (t) => {
  const smoke = {
    url: 'http://127.0.0.1:4140/',
    host: 'world',
    requests: 5,
    expect: ['2xx'],
    timeoutMs: 1000,
  }
  const w = new World(rollout({ smoke }))
  const first = w.step(0)
  t.equal(w.r.phase, 'smoke')
  t.ok(first.effects.some((e) => e.type === 'smoke'))
  t.ok(
    w.step(10).effects.some((e) => e.type === 'smoke'),
    'asked again until it reports',
  )
  const bad: SmokeResult = { sent: 5, passed: 4, firstFailure: '503 from /#/io.l5d.fs/world-v1' }
  w.step(20, { smoke: bad })
  t.equal(w.r.phase, 'rolled-back')
  t.same(w.writes, [])
  t.same(w.r.smokeResult, bad)
  const ok = new World(rollout({ smoke }))
  ok.step(0)
  ok.step(10, { smoke: { sent: 5, passed: 5, firstFailure: null } })
  t.equal(ok.r.phase, 'step')
})

t.test('someone else changing the dentry stops the rollout; nothing is written', async (t) => {
  const w = new World(rollout())
  w.step(0)
  w.dentry = '/host/world=>/srv/world-v3'
  w.version++
  const out = w.step(500, { reading: reading(500, 100, 1) })
  t.equal(w.r.phase, 'stopped')
  t.notOk(out.effects.some((e) => e.type === 'write-dtab'))
  t.match(w.r.outcome, /conflict.*world-v3/)
  const gone = advance(rollout(), { ...w.inputs(0), dtab: null })
  t.equal(gone.next.phase, 'stopped')
  t.match(gone.next.outcome, /is gone/)
  const pending = advance(rollout(), {
    ...w.inputs(0),
    dtab: { version: 'v9', dentry: '/host/world=>/srv/other' },
  })
  t.equal(pending.next.phase, 'stopped', 'pending: dentry no longer from')
  const withIntent = advance(rollout(), w.inputs(0)).next
  const c = applyConflict(withIntent, at(1), 'controller@n1', '/host/world=>/x')
  t.equal(c.next.phase, 'stopped')
  t.equal(c.next.intent, null)
})

t.test('a pending intent is written again before anything else happens', async (t) => {
  const withIntent = advance(rollout(), new World(rollout()).inputs(0)).next
  t.ok(withIntent.intent)
  const again = advance(
    {
      ...withIntent,
      requests: [{ action: 'abort', who: 'x', why: null, at: at(0).toISOString() }],
    },
    new World(rollout()).inputs(10),
  )
  t.same(
    again.effects.map((e) => e.type),
    ['write-dtab'],
  )
  t.equal(again.next.requests.length, 1, 'requests wait for the write')
})

t.test('events are bounded to MAX_ROLLOUT_EVENTS', async (t) => {
  const w = new World(rollout())
  w.step(0)
  for (let i = 0; i < MAX_ROLLOUT_EVENTS; i++) {
    w.request(i % 2 === 0 ? 'pause' : 'resume')
    w.step(1 + i)
  }
  t.equal(w.r.events.length, MAX_ROLLOUT_EVENTS)
  t.equal(w.r.events.at(-1)?.seq, MAX_ROLLOUT_EVENTS + 1)
})

t.test('random sequences keep the invariants', async (t) => {
  const action = fc.constantFrom<RolloutAction>(
    'pause',
    'resume',
    'promote',
    'promote-full',
    'abort',
  )
  const move = fc.record({
    dt: fc.integer({ min: 0, max: 2000 }),
    request: fc.option(action, { freq: 3 }),
    reading: fc.oneof(
      fc.constant(null),
      fc.constant<ReadResult>({ ok: false, problem: 'down' }),
      fc.record({
        requests: fc.integer({ min: 0, max: 200 }),
        rate: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    ),
    smoke: fc.option(fc.boolean()),
    meddle: fc.integer({ min: 0, max: 40 }),
    writeFails: fc.boolean(),
  })
  fc.assert(
    fc.property(
      fc
        .subarray([10, 25, 50, 75, 100], { minLength: 1 })
        .map((s) => (s.includes(100) ? s : [...s, 100])),
      fc.boolean(),
      fc.array(move, { maxLength: 40 }),
      (steps, gated, moves) => {
        let r = rollout({
          steps,
          gates: gated ? [steps[steps.length - 1]!] : [],
          smoke: null,
        })
        let dentry = r.before.dentry
        let version = 0
        let now = 0
        const allowed = new Set(steps.map((s) => stepDentry(r.prefix, r.from, r.to, s)))
        allowed.add(r.before.dentry)
        for (const m of moves) {
          now += m.dt
          if (m.meddle === 0) dentry = '/host/world=>/srv/someone-else'
          if (m.request !== null)
            r = {
              ...r,
              requests: [
                ...r.requests,
                { action: m.request, who: 'u', why: null, at: at(now).toISOString() },
              ],
            }
          const rd: ReadResult | null =
            m.reading === null || 'ok' in m.reading
              ? (m.reading as ReadResult | null)
              : reading(now, m.reading.requests, m.reading.rate)
          const wasTerminal = isTerminal(r.phase)
          const prev = r
          const { next, effects } = advance(r, {
            now: at(now),
            who: 'controller@n1',
            dtab: { version: `v${version}`, dentry },
            reading: rd,
            smoke:
              m.smoke === null
                ? null
                : { sent: 1, passed: m.smoke ? 1 : 0, firstFailure: m.smoke ? null : 'x' },
            judge,
          })
          if (wasTerminal && next !== prev) throw new Error('a terminal rollout changed')
          if (
            !isTerminal(next.phase) &&
            next.intent !== null &&
            !effects.some((e) => e.type === 'write-dtab')
          )
            throw new Error(`an intent without a write, in ${next.phase}`)
          if (isTerminal(next.phase) && (next.endedAt === null || next.outcome === null))
            throw new Error('terminal without endedAt/outcome')
          for (const rec of next.stepRecords)
            if (!steps.includes(rec.weight)) throw new Error(`weight ${rec.weight}`)
          r = next
          for (const e of effects) {
            if (e.type !== 'write-dtab') continue
            if (!allowed.has(e.intent.dentry)) throw new Error(`wrote ${e.intent.dentry}`)
            if (m.writeFails) continue // the write is retried at the next advance
            dentry = e.intent.dentry
            version++
            r = applyWrite(r, { now: at(now), who: 'c', version: `v${version}`, dentry }).next
          }
          if (!Rollout.safeParse(r).success) throw new Error('invalid rollout')
        }
      },
    ),
    { numRuns: 300 },
  )
  t.pass('300 random runs')
})

t.test('the before dtab is Dtab.show text', async (t) => {
  t.equal(Dtab.show(Dtab.read(BEFORE)), BEFORE)
})

t.test("event whys read on their own: the user's reason never runs into the step", async (t) => {
  const w = new World(rollout())
  w.step(0)
  t.equal(
    w.r.events.at(-1)?.why,
    'step 1 of 3 (10%): shifting 10% to /srv/world-v2; taken up by the controller',
    'a shift names its step first',
  )
  w.step(1000, { reading: reading(1000, 80, 1) })
  t.match(
    w.r.events.at(-1)?.why,
    /^step 2 of 3 \(50%\): shifting 50% to \/srv\/world-v2; step 1 of 3 \(10%\) passed: 80 requests/,
  )
  w.r = {
    ...w.r,
    requests: [{ action: 'pause', who: 'deployer', why: 'look', at: at(0).toISOString() }],
  }
  w.step(1100)
  t.equal(
    w.r.events.at(-1)?.why,
    'paused by deployer: look; the rollout holds at step 2 of 3 (50%)',
  )
})

t.test('holdWindow: the write acknowledged, the window waits for startWindow', async (t) => {
  const w = new World(rollout())
  const out = advance(w.r, w.inputs(0))
  const intent = out.next.intent!
  const written = applyWrite(out.next, {
    now: at(10),
    who: 'controller@n1',
    version: 'v1',
    dentry: intent.dentry,
    holdWindow: true,
  }).next
  t.equal(written.stepRecords[0]?.shiftedVersion, 'v1')
  t.equal(written.stepRecords[0]?.windowStart, null, 'no window yet')
  t.ok(awaitingProxies(written))
  const started = startWindow(written, at(500), 'controller@n1', 'window starts: 2 proxies have v1')
  t.equal(started.next.stepRecords[0]?.windowStart, at(500).toISOString())
  t.equal(started.next.events.at(-1)?.why, 'step 1 of 3 (10%): window starts: 2 proxies have v1')
  t.equal(started.effects.length, 1, 'the event is notified')
  const taken = takeOverWindow(started.next, at(900), 'controller@n2')
  t.equal(taken.next.stepRecords[0]?.windowStart, null, 'a new leader restarts the window')
  t.equal(taken.next.stepRecords[0]?.startedAt, started.next.stepRecords[0]?.startedAt)
  t.ok(awaitingProxies(taken.next), 'and waits for the proxies again')
})
