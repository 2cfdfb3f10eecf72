// The rollout views' logic: which of pause, resume, promote and abort each phase allows (as
// namerd's own refusals do), the plan with its current step, and numbers that never claim more
// than was measured.
import { type RolloutPause, RolloutPhase, type StepRecord, TERMINAL_PHASES } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import { ApiError } from '../src/api/errors.js'
import { parseRolloutLine } from '../src/rollouts/api.js'
import {
  actionStates,
  afterWords,
  duration,
  millis,
  percent,
  stepCell,
  stepRows,
  trafficWords,
  verdictWhy,
  weightNow,
  whereWords,
} from '../src/rollouts/model.js'
import { rollout, T0 } from './rollout-fixture.js'

function record(index: number, over: Partial<StepRecord> = {}): StepRecord {
  return {
    index,
    weight: [10, 50, 100][index] ?? 100,
    startedAt: T0,
    shiftedVersion: null,
    windowStart: T0,
    windowEnd: null,
    checks: 3,
    verdict: 'pending',
    from: null,
    to: null,
    failed: null,
    ...over,
  }
}

const userPause: RolloutPause = { by: 'user', since: T0, who: 'bob', why: 'look' }

t.test('an ended rollout allows nothing, and says it has ended', async (t) => {
  for (const phase of TERMINAL_PHASES) {
    const s = actionStates(rollout({ phase, step: null }))
    for (const why of Object.values(s)) t.match(why, /has ended/, phase)
  }
})

t.test('at a step: pause, promote and abort; resume only once paused', async (t) => {
  t.same(actionStates(rollout()), {
    pause: null,
    resume: 'it is not paused',
    promote: null,
    abort: null,
  })
  const paused = actionStates(rollout({ pause: userPause }))
  t.equal(paused.resume, null)
  t.equal(paused.pause, 'already paused by bob')
  // namerd pauses by itself when metrics cannot be read; a user may still pause on top.
  const byMetrics = actionStates(rollout({ pause: { ...userPause, by: 'metrics' } }))
  t.equal(byMetrics.pause, null)
  t.equal(byMetrics.resume, null)
})

t.test('promote is refused before the first step, in smoke and while rolling back', async (t) => {
  t.match(actionStates(rollout({ phase: 'pending', step: null })).promote, /first step/)
  t.match(actionStates(rollout({ phase: 'smoke', step: null })).promote, /smoke/)
  const back = actionStates(rollout({ phase: 'rolling-back' }))
  t.match(back.promote, /rolling back/)
  t.match(back.abort, /rolling back/)
  t.equal(
    actionStates(rollout({ phase: 'gate', step: 1 })).promote,
    null,
    'a gate opens by promote',
  )
})

t.test('whatever the phase and pause, an action is allowed or has a reason to show', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(
        fc.constantFrom(...RolloutPhase.options),
        fc.option(fc.constantFrom<'user' | 'metrics'>('user', 'metrics')),
        (phase, by) => {
          const r = rollout({ phase, pause: by === null ? null : { ...userPause, by } })
          const s = actionStates(r)
          const terminal = TERMINAL_PHASES.includes(phase)
          return Object.values(s).every(
            (why) => (why === null && !terminal) || (typeof why === 'string' && why.length > 0),
          )
        },
      ),
    ),
  )
})

t.test('the plan marks the step the rollout is at, with gates and verdicts', async (t) => {
  const r = rollout({
    phase: 'step',
    step: 1,
    stepRecords: [
      record(0, { verdict: 'insufficient' }),
      record(0, { verdict: 'pass' }),
      record(1),
    ],
  })
  const rows = stepRows(r)
  t.same(
    rows.map((row) => [row.weight, row.gate, row.verdict, row.current]),
    [
      [10, false, 'pass', false],
      [50, true, 'pending', true],
      [100, false, 'not reached', false],
    ],
    "a step's last record is its verdict",
  )
  t.equal(stepCell({ ...r, lastWritten: written(50) }), '2 of 3 (50%)')
  t.equal(stepCell(rollout({ phase: 'pending', step: null })), '–')
})

/** What a step writes (namerd's stepDentry): `to` first, weights as Finagle shows them. */
function written(weight: number) {
  const dentry =
    weight === 100
      ? '/host/world=>/srv/world-v2'
      : weight === 0
        ? '/host/world=>/srv/world-v1'
        : `/host/world=>${weight.toFixed(2)}*/srv/world-v2 & ${(100 - weight).toFixed(2)}*/srv/world-v1`
  return { version: 'AAAAAAAAAAU=', dentry }
}

t.test('the Step column says the weight traffic is at now, and the gate apart (M2)', async (t) => {
  // At the gate before 50%: traffic is at step 1 (10%), not at step 2.
  const gated = rollout({ phase: 'gate', step: 1, lastWritten: written(10) })
  t.equal(stepCell(gated), '1 of 3 (10%), gate before 50%')
  t.equal(trafficWords(gated), '10% to /srv/world-v2 (step 1 of 3)')
  // A gate before the first step: nothing shifted yet.
  const first = rollout({ phase: 'gate', step: 0, gates: [10], lastWritten: null })
  t.equal(stepCell(first), '0%, gate before 10%')
  // Stopped by a conflict while waiting at that gate: it never reached 50%.
  t.equal(
    stepCell(rollout({ phase: 'stopped', step: 1, lastWritten: written(10) })),
    '1 of 3 (10%)',
  )
  // While step 2's write is under way, the traffic is still at step 1.
  t.equal(
    stepCell(rollout({ phase: 'step', step: 1, lastWritten: written(10) })),
    '1 of 3 (10%), shifting to 50%',
  )
  t.equal(
    stepCell(rollout({ phase: 'succeeded', step: 2, lastWritten: written(100) })),
    '3 of 3 (100%)',
  )
  t.equal(stepCell(rollout({ phase: 'aborted', step: 1, lastWritten: written(0) })), '0%')
  t.equal(weightNow(rollout({ lastWritten: { version: 'x', dentry: 'not a dentry' } })), null)
  t.equal(
    stepCell(rollout({ phase: 'gate', step: 1, lastWritten: { version: 'x', dentry: '((' } })),
    'weight unknown, gate before 50%',
  )
})

t.test('weightNow reads any weighted union namerd could write, to within 0.1 point', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 99 }), (w) => {
      t.equal(weightNow(rollout({ lastWritten: written(w) })), w)
    }),
  )
})

t.test('an ended rollout has no current step', async (t) => {
  const rows = stepRows(rollout({ phase: 'succeeded', step: 2 }))
  t.notOk(rows.some((r) => r.current))
})

t.test('where it is, in words, with a pause and its reason', async (t) => {
  t.equal(
    whereWords(rollout({ phase: 'gate', step: 1 })),
    'waiting at the gate before 50% for promote',
  )
  t.equal(
    whereWords(rollout({ step: 1, pause: userPause })),
    'at step 2 of 3 (50%), paused by bob: look',
  )
})

t.test("a step's why: the failed check's detail, else what the judgement saw", async (t) => {
  const r = rollout()
  const stats = {
    ids: ['/#/x'],
    requests: 412,
    successes: 329,
    failures: 83,
    successRate: 0.7985,
    p99Ms: 30,
    ratePerSec: 6.8,
  }
  t.equal(
    verdictWhy(
      r,
      record(0, {
        verdict: 'fail',
        to: stats,
        failed: {
          metric: 'success-rate',
          value: 0.7985,
          threshold: 0.99,
          detail: 'success rate 79.8% < 99% (412 requests)',
        },
      }),
    ),
    'success rate 79.8% < 99% (412 requests)',
  )
  t.match(
    verdictWhy(r, record(0, { verdict: 'insufficient', to: { ...stats, requests: 28 } })),
    /28 of the 100 requests/,
  )
  t.match(verdictWhy(r, record(0, { verdict: 'pending', windowStart: null })), /shifting/)
})

t.test('a rate just under 100% never prints as 100%', async (t) => {
  t.equal(percent(0.998), '99.8%')
  t.equal(percent(0.99996), '99.99%')
  t.equal(percent(1), '100%')
  t.equal(percent(0), '0%')
  t.equal(percent(0.00001), '<0.01%')
  t.equal(percent(null), '–')
  t.equal(percent(Number.NaN), '–')
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (x) => {
      const s = percent(x)
      return (s === '100%') === (x === 1) && !s.includes('NaN')
    }),
  )
})

t.test('durations and latencies as namerctl writes them', async (t) => {
  t.equal(duration(300_000), '5m')
  t.equal(duration(3_600_000), '1h')
  t.equal(duration(1500), '1.5s')
  t.equal(duration(250), '250ms')
  t.equal(millis(497.2), '497 ms')
  t.equal(millis(2500), '2.50 s')
  t.equal(millis(null), '–')
})

t.test('a rollout watch line is checked: a bad one is an ApiError the view shows', async (t) => {
  const good = rollout({ events: [] })
  t.same(parseRolloutLine(JSON.stringify(good)), good)
  for (const line of [
    '',
    'not json',
    '{}',
    'null',
    '[]',
    '{"id":"../x"}',
    JSON.stringify({ ...good, phase: 'exploded' }),
    JSON.stringify({ ...good, id: 'Has Spaces' }),
  ]) {
    const err = (() => {
      try {
        parseRolloutLine(line)
        return null
      } catch (e) {
        return e
      }
    })()
    t.ok(err instanceof ApiError && err.code === 'bad_answer', JSON.stringify(line.slice(0, 30)))
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (line) => {
      try {
        parseRolloutLine(line)
        return true
      } catch (e) {
        return e instanceof ApiError
      }
    }),
  )
})

t.test(
  'after a request namerd acted on, the steer line says where the rollout is (audit16b L3)',
  async (t) => {
    const paused = rollout({
      phase: 'step',
      step: 0,
      pause: { by: 'user', who: 'ci', why: 'look at the graphs', since: T0 },
    })
    t.match(
      afterWords('Pause', paused),
      /^After Pause, the rollout is at step 1 of 3 \(10%\), paused by ci/,
    )
    t.equal(
      afterWords('Abort', rollout({ phase: 'aborted' })),
      'After Abort, the rollout is aborted: the dtab is as it was before.',
    )
  },
)
