// Rollouts end to end (issue 14's "Done when"), every program a real process on loopback:
// namerd on the file store with an io.l5d.fs namer and the rollouts block at §7's timings
// (interval 300 ms, tick 50 ms, scrape 100 ms, lease 1 s, presence 200 ms, min-requests 20),
// switchyard-proxy watching it and naming its admin server (the default metrics source reads
// it), world-v1 and one tunable world-v2 that plays each release in turn, and namerctl as a CI
// job runs it. Each subtest puts the dtab back to v1, tunes v2, runs 200 req/s of open-loop
// load through the proxy for the whole rollout, and asserts that no request went without a
// backend's answer. Needs `pnpm build` (the programs run from packages/*/dist).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { History, type Rollout } from '@switchyard/wire'
import t, { type Test } from 'tap'
import * as mesh from './mesh.js'
import {
  dentryOf,
  dtabText,
  everyRequestAnswered,
  FROM,
  INITIAL_DTAB,
  LOAD_RATE,
  NAMESPACE,
  namerctl,
  namerdConfig,
  PREFIX,
  propagated,
  proxyConfig,
  publish,
  putDtab,
  rollout,
  runScenario,
  said,
  smokeArgs,
  squash,
  startArgs,
  startedId,
  startNamerd,
  TIMINGS,
  TO,
  tunableWorld,
  until,
} from './rollouts-harness.js'

const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-rollouts-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const disco = join(dir, 'disco')
mkdirSync(disco)

const [v1, v2] = await Promise.all([tunableWorld(t, 'v1'), tunableWorld(t, 'v2')])
publish(disco, 'world-v1', v1.port)
publish(disco, 'world-v2', v2.port)
writeFileSync(
  join(dir, 'namerd.yaml'),
  namerdConfig(`file:${join(dir, 'store')}`, disco, 'namerd-e2e'),
)
const namerd = await startNamerd(t, 'namerd', join(dir, 'namerd.yaml'))
await putDtab(namerd.port, INITIAL_DTAB)
writeFileSync(join(dir, 'proxy.yaml'), proxyConfig(namerd.port))
const proxy = await mesh.startProxy(t, 'proxy', join(dir, 'proxy.yaml'))

const cli = (args: readonly string[]) => namerctl(namerd.port, args)
/** The rollout with `args` under load, v2 tuned as asked (rollouts-harness.ts). */
const scenario = (
  t: Test,
  v2Tuning: { failRate: number; delayMs: number },
  args: readonly string[],
  during?: (id: string) => Promise<void>,
) => runScenario(t, { namerdPort: namerd.port, proxy, v2 }, v2Tuning, args, during)

const eventTo = (r: Rollout, phase: string) => r.events.find((e) => e.to === phase)

t.test('a healthy v2 goes through smoke and 10, 50, 100 to succeeded; watch exits 0', async (t) => {
  const s = await scenario(t, { failRate: 0, delayMs: 0 }, [
    '--steps',
    '10,50,100',
    ...smokeArgs(proxy.port),
  ])
  t.equal(s.ended.phase, 'succeeded', s.ended.outcome ?? '')
  t.match(s.ended.smokeResult, { sent: 20, passed: 20, firstFailure: null }, 'smoke passed')
  t.same(
    s.ended.stepRecords.map((r) => [r.weight, r.verdict]),
    [
      [10, 'pass'],
      [50, 'pass'],
      [100, 'pass'],
    ],
    'each step was analysed and passed',
  )
  for (const record of s.ended.stepRecords) {
    t.ok(
      (record.to?.requests ?? 0) >= TIMINGS.minRequests,
      `step ${record.weight}% judged on ${record.to?.requests} requests to v2 (at least ${TIMINGS.minRequests})`,
    )
  }
  const after = await dtabText(namerd.port)
  t.equal(dentryOf(after.text), `${PREFIX} => ${TO}`, 'the dentry names v2 alone')
  const others = (text: string) =>
    squash(text)
      .split(';')
      .filter((d) => !d.startsWith(`${PREFIX}=>`))
  t.same(others(after.text), others(s.before.text), 'every other dentry as it was')
  t.equal(s.watch.code, 0, `rollout watch exits 0 on success\n${said(s.watch)}`)
  t.ok((s.load.versions.get('v2') ?? 0) > 0, 'v2 answered real traffic')
  t.equal(s.load.failures.size, 0, 'no backend failed a request')
  everyRequestAnswered(t, s.load)
})

t.test(
  'a v2 failing 20% is rolled back by the step that exposed it, the dtab restored byte for byte; watch exits 1',
  async (t) => {
    // Steps 50,100: at 200 req/s a 50% step has min-requests (20) to v2 well inside one
    // interval (300 ms), so "within one interval" is a statement about the controller; at 10%
    // the window would first wait for traffic.
    const s = await scenario(t, { failRate: 0.2, delayMs: 0 }, ['--steps', '50,100'])
    t.equal(s.ended.phase, 'rolled-back', s.ended.outcome ?? '')
    t.equal(s.ended.stepRecords.length, 1, 'it never went past the first step')
    const exposing = s.ended.stepRecords[0]!
    t.equal(exposing.verdict, 'fail')
    t.match(exposing.failed, { metric: 'success-rate', threshold: 0.99 })
    t.ok((exposing.failed?.value ?? 1) < 0.99, `v2's success rate ${exposing.failed?.value}`)
    const rollingBack = eventTo(s.ended, 'rolling-back')
    t.ok(rollingBack, 'a rolling-back event')
    if (rollingBack !== undefined && exposing.windowStart !== null) {
      // Within one interval, counted from when the evidence can exist: v2 needs min-requests
      // before anything is judged, which at 200 req/s × 50% takes 200 ms after the shift; then
      // a scrape and a tick to see it. A step that waited for its interval's end, or for a
      // second window, would be later than this.
      const judgedAfter = Date.parse(rollingBack.time) - Date.parse(exposing.windowStart)
      const evidenceMs = Math.ceil((1000 * TIMINGS.minRequests) / (LOAD_RATE * 0.5))
      const bound = TIMINGS.intervalMs + evidenceMs + TIMINGS.tickMs + TIMINGS.scrapeMs
      t.ok(
        judgedAfter <= bound,
        `failed ${judgedAfter} ms into the step's window (one interval ${TIMINGS.intervalMs} ms, after ${evidenceMs} ms for min-requests to arrive, + a tick and a scrape: ${bound} ms)`,
      )
    }
    t.match(rollingBack?.why ?? '', /success rate/, 'the why names the metric')
    const after = await dtabText(namerd.port)
    t.equal(after.text, s.before.text, 'the dtab is byte for byte the one from before')
    t.equal(
      squash(s.ended.before.dtab),
      squash(s.before.text),
      "the rollout's before is that dtab (Dtab.show form; namerd's text form adds spaces)",
    )
    t.not(after.version, s.before.version, 'restored by a new write')
    const history = History.parse(
      await (
        await fetch(`http://127.0.0.1:${namerd.port}/api/1/dtabs/${NAMESPACE}/history`)
      ).json(),
    )
    t.equal(history[0]?.version, after.version, 'the newest history entry is the restore')
    t.match(history[0]?.why ?? '', /success rate/, "the restore's history entry says why")
    t.equal(s.watch.code, 1, `rollout watch exits 1 on a rollback\n${said(s.watch)}`)
    t.ok((s.load.failures.get('v2') ?? 0) > 0, "v2's own failures were seen (its answers)")
    everyRequestAnswered(t, s.load)
  },
)

t.test('a v2 that fails the smoke requests never receives real traffic', async (t) => {
  const servedBefore = await v2.requests()
  const s = await scenario(t, { failRate: 1, delayMs: 0 }, [
    '--steps',
    '10,50,100',
    ...smokeArgs(proxy.port),
  ])
  t.equal(s.ended.phase, 'rolled-back', s.ended.outcome ?? '')
  t.ok(s.ended.smokeResult, 'smoke ran')
  t.ok((s.ended.smokeResult?.passed ?? 0) < (s.ended.smokeResult?.sent ?? 0), 'and failed')
  t.match(s.ended.smokeResult?.firstFailure ?? '', /500/, 'the first failure is named')
  t.ok(
    s.ended.stepRecords.every((r) => r.shiftedVersion === null),
    'no step wrote the dtab',
  )
  t.ok(
    s.ended.events.every((e) => e.dtabVersion === null),
    'no transition wrote the dtab',
  )
  t.equal((await dtabText(namerd.port)).version, s.before.version, 'no dtab version beyond start')
  t.equal(s.load.versions.get('v2') ?? 0, 0, 'the steady load never reached v2')
  t.ok((await v2.requests()) > servedBefore, 'the smoke requests did reach v2 (through l5d-dtab)')
  t.equal(s.watch.code, 1, `rollout watch exits 1\n${said(s.watch)}`)
  everyRequestAnswered(t, s.load)
})

t.test('a v2 that is only slow (p99 over the bound) is rolled back on p99', async (t) => {
  const s = await scenario(t, { failRate: 0, delayMs: 400 }, ['--steps', '50,100'])
  t.equal(s.ended.phase, 'rolled-back', s.ended.outcome ?? '')
  const failed = s.ended.stepRecords.find((r) => r.verdict === 'fail')
  t.match(failed?.failed, { metric: 'p99', threshold: 300 }, 'the metric that broke is p99')
  t.ok((failed?.failed?.value ?? 0) > 300, `v2's p99 ${failed?.failed?.value} ms`)
  t.equal((await dtabText(namerd.port)).text, s.before.text, 'the dtab from before')
  t.equal(s.load.failures.get('v2') ?? 0, 0, 'v2 failed nothing; it was slow')
  t.equal(s.watch.code, 1, `rollout watch exits 1\n${said(s.watch)}`)
  everyRequestAnswered(t, s.load)
})

t.test('a manual shift of the dentry mid-rollout stops it, and is never overwritten', async (t) => {
  const manual = `${PREFIX} => 70.00*${FROM} & 30.00*${TO}`
  const shift: { result: Awaited<ReturnType<typeof cli>> | null } = { result: null }
  // A 2 s interval: time to make the change while the first step is analysed.
  const s = await scenario(
    t,
    { failRate: 0, delayMs: 0 },
    ['--steps', '10,50,100', '--interval', '2s'],
    async (id) => {
      await until(
        namerd.port,
        id,
        'analysing its first step',
        (r) => r.phase === 'step' && r.lastWritten !== null && r.intent === null,
      )
      shift.result = await cli(['shift', NAMESPACE, PREFIX, `${FROM}=70`, `${TO}=30`, '--force'])
    },
  )
  t.equal(
    shift.result?.code,
    0,
    `the manual shift was written\n${shift.result && said(shift.result)}`,
  )
  t.equal(s.ended.phase, 'stopped', s.ended.outcome ?? '')
  t.match(s.ended.outcome ?? '', /conflict|changed/i, 'the outcome says someone else changed it')
  // Give a (wrong) controller time to write again: three intervals.
  await new Promise((r) => setTimeout(r, 3 * 2000))
  const after = await dtabText(namerd.port)
  t.equal(dentryOf(after.text), manual, 'the manual dentry is intact')
  t.equal(s.watch.code, 1, `rollout watch exits 1 on stopped\n${said(s.watch)}`)
  everyRequestAnswered(t, s.load)
})

t.test('too little traffic to v2: rolled back at the progress deadline', async (t) => {
  // 200 req/s cannot bring 100,000 requests to v2 within the 1 s deadline.
  const s = await scenario(t, { failRate: 0, delayMs: 0 }, [
    '--steps',
    '50,100',
    '--min-requests',
    '100000',
    '--progress-deadline',
    '1s',
  ])
  t.equal(s.ended.phase, 'rolled-back', s.ended.outcome ?? '')
  t.match(s.ended.stepRecords[0]?.failed, { metric: 'progress-deadline' })
  t.equal((await dtabText(namerd.port)).text, s.before.text, 'the dtab from before')
  t.equal(s.watch.code, 1, `rollout watch exits 1\n${said(s.watch)}`)
  everyRequestAnswered(t, s.load)
})

t.test(
  "smoke requests are not step 1's traffic: with no load, 30 smoke requests do not pass step 1 (audit 1)",
  async (t) => {
    // The audit's setup: a namerd scraping every 2 s (nearer its 5 s default than §7's 100 ms),
    // already scraping the namespace (an earlier rollout), and no load at all: the only requests
    // v2 ever gets are the 30 smoke requests, made just before the first dtab write. Step 1
    // (min-requests 20) must wait for traffic of its own and roll back at the progress deadline.
    // Counting from the snapshot before the window (up to 2 s old), it "passed" on the smoke.
    const own = join(dir, 'slow-scrape')
    mkdirSync(own)
    writeFileSync(
      join(own, 'namerd.yaml'),
      namerdConfig(`file:${join(own, 'store')}`, disco, 'namerd-slow-scrape').replace(
        `scrapeMs: ${TIMINGS.scrapeMs}`,
        'scrapeMs: 2000',
      ),
    )
    const slow = await startNamerd(t, 'namerd-slow-scrape', join(own, 'namerd.yaml'))
    await putDtab(slow.port, INITIAL_DTAB)
    writeFileSync(join(own, 'proxy.yaml'), proxyConfig(slow.port, 'e2e-slow-scrape'))
    const p = await mesh.startProxy(t, 'proxy-slow-scrape', join(own, 'proxy.yaml'))
    await propagated(slow.port, p.adminPort)
    await v2.tune(0, 0)
    const run = async (extra: string[]) => {
      const started = await namerctl(slow.port, startArgs(extra))
      t.equal(started.code, 0, said(started))
      const id = startedId(started)
      return until(slow.port, id, 'ended', (r) => r.endedAt !== null)
    }
    // An earlier rollout, so the leader already scrapes the namespace on its 2 s rounds.
    const first = await run(['--steps', '10,100', '--progress-deadline', '300ms'])
    t.equal(first.phase, 'rolled-back', `the earlier rollout: ${first.outcome}`)
    await propagated(slow.port, p.adminPort)
    const before = await dtabText(slow.port)
    const smoke = smokeArgs(p.port).map((a) => (a === '20' ? '30' : a))
    const ended = await run([
      '--steps',
      '10,100',
      '--interval',
      '1s',
      '--progress-deadline',
      '4s',
      ...smoke,
    ])
    t.match(ended.smokeResult, { sent: 30, passed: 30 }, 'the smoke ran and passed')
    t.equal(ended.phase, 'rolled-back', `step 1 did not pass on smoke traffic: ${ended.outcome}`)
    t.equal(ended.stepRecords.length, 1, 'it never passed step 1')
    const step1 = ended.stepRecords[0]
    t.match(step1?.failed, { metric: 'progress-deadline' }, 'it waited for traffic')
    t.ok(
      (step1?.to?.requests ?? 0) < TIMINGS.minRequests,
      `step 1 counted ${step1?.to?.requests} requests to v2, none of them the 30 smoke requests`,
    )
    t.equal(squash((await dtabText(slow.port)).text), squash(before.text), 'the dtab from before')
  },
)

t.test('a gate waits for promote, then the rollout goes on to succeed', async (t) => {
  const held: { rollout: Rollout | null; promoted: Awaited<ReturnType<typeof cli>> | null } = {
    rollout: null,
    promoted: null,
  }
  const s = await scenario(
    t,
    { failRate: 0, delayMs: 0 },
    ['--steps', '50,100', '--gate-before', '100'],
    async (id) => {
      await until(namerd.port, id, 'at its gate', (r) => r.phase === 'gate')
      // Three intervals at the gate: nothing may move by itself.
      await new Promise((r) => setTimeout(r, 3 * TIMINGS.intervalMs))
      held.rollout = await rollout(namerd.port, id)
      held.promoted = await cli(['rollout', 'promote', NAMESPACE, id, '--reason', 'e2e'])
    },
  )
  t.equal(held.rollout?.phase, 'gate', 'still at the gate three intervals later')
  t.match(
    held.rollout?.lastWritten?.dentry ?? '',
    /50\.00\*\/srv\/world-v2/,
    'at 50% while it waited',
  )
  t.equal(held.promoted?.code, 0, `promote accepted\n${held.promoted && said(held.promoted)}`)
  t.equal(s.ended.phase, 'succeeded', s.ended.outcome ?? '')
  t.equal(dentryOf((await dtabText(namerd.port)).text), `${PREFIX} => ${TO}`, 'v2 alone')
  t.equal(s.watch.code, 0, `rollout watch exits 0\n${said(s.watch)}`)
  everyRequestAnswered(t, s.load)
})

t.test(
  'a shift of another dentry mid-rollout: the rollout carries on, and its rollback keeps the other change',
  async (t) => {
    const other = '/host/hello => /srv/world-v1'
    const holder: {
      shifted: Awaited<ReturnType<typeof cli>> | null
      aborted: Awaited<ReturnType<typeof cli>> | null
      midway: Rollout | null
    } = { shifted: null, aborted: null, midway: null }
    // A 2 s interval, and an abort once the other change is in: the rollback then has to put
    // back the rollout's dentry alone.
    const s = await scenario(
      t,
      { failRate: 0, delayMs: 0 },
      ['--steps', '10,50,100', '--interval', '2s'],
      async (id) => {
        await until(
          namerd.port,
          id,
          'analysing its first step',
          (r) => r.phase === 'step' && r.lastWritten !== null && r.intent === null,
        )
        holder.shifted = await cli(['shift', NAMESPACE, '/host/hello', '/srv/world-v1', '--create'])
        await new Promise((r) => setTimeout(r, 2 * TIMINGS.tickMs + TIMINGS.scrapeMs))
        holder.midway = await rollout(namerd.port, id)
        holder.aborted = await cli([
          'rollout',
          'abort',
          NAMESPACE,
          id,
          '--reason',
          'e2e: abort after a shift',
        ])
      },
    )
    t.equal(
      holder.shifted?.code,
      0,
      `the other shift was written\n${holder.shifted && said(holder.shifted)}`,
    )
    t.equal(holder.midway?.phase, 'step', 'the rollout carried on after the other change')
    t.equal(holder.aborted?.code, 0, `abort accepted\n${holder.aborted && said(holder.aborted)}`)
    t.equal(
      s.ended.phase,
      'aborted',
      `${s.ended.outcome}; requests left: ${JSON.stringify(s.ended.requests)}; events: ${s.ended.events.map((e) => `${e.time} ${e.from}->${e.to} ${e.why}`).join(' | ')}`,
    )
    const after = await dtabText(namerd.port)
    t.equal(dentryOf(after.text), `${PREFIX} => ${FROM}`, "the rollout's dentry is back on v1")
    t.equal(dentryOf(after.text, '/host/hello'), other, 'the other change survived the rollback')
    t.equal(s.watch.code, 1, `rollout watch exits 1 on an abort\n${said(s.watch)}`)
    everyRequestAnswered(t, s.load)
  },
)

t.test(
  'a proxy whose metrics cannot be read pauses the rollout; it resumes once that proxy is gone',
  async (t) => {
    // A second proxy watching the namespace names an admin address where nothing listens: the
    // leader cannot read it, so the window is unreadable and the rollout must pause, never
    // pass or fail. Traffic goes through the first proxy throughout.
    const dead = await new Promise<number>((resolve) => {
      const probe = createServer()
      probe.listen(0, '127.0.0.1', () => {
        const a = probe.address()
        probe.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 1))
      })
    })
    writeFileSync(
      join(dir, 'proxy-dark.yaml'),
      `${proxyConfig(namerd.port, 'e2e-dark')}namerd: {advertiseAdmin: '127.0.0.1:${dead}'}\n`,
    )
    const dark = await mesh.startProxy(t, 'proxy-dark', join(dir, 'proxy-dark.yaml'))
    const seen: { paused: Rollout | null } = { paused: null }
    const s = await scenario(t, { failRate: 0, delayMs: 0 }, ['--steps', '50,100'], async (id) => {
      seen.paused = await until(
        namerd.port,
        id,
        'paused by metrics',
        (r) => r.pause?.by === 'metrics',
      )
      // Paused for three intervals: it neither passes nor fails meanwhile.
      await new Promise((r) => setTimeout(r, 3 * TIMINGS.intervalMs))
      // Unreadable before the first write: the rollout waits at pending and shifts nothing.
      const still = await rollout(namerd.port, id)
      t.equal(still.phase, 'pending', 'still pending while paused: no traffic shifted')
      t.equal(still.lastWritten, null, 'nothing written')
      t.equal(still.pause?.by, 'metrics', 'still paused')
      await dark.proc.kill('SIGTERM')
    })
    t.match(
      seen.paused?.pause?.why ?? '',
      new RegExp(`${dead}`),
      'the pause names the proxy it cannot read',
    )
    t.equal(s.ended.phase, 'succeeded', `resumed by itself and succeeded: ${s.ended.outcome}`)
    t.equal(s.ended.pause, null, 'no pause left')
    t.equal(s.watch.code, 0, `rollout watch exits 0\n${said(s.watch)}`)
    everyRequestAnswered(t, s.load)
  },
)

t.test('the active rollout is gone once each ended: a new one may start', async (t) => {
  const res = await fetch(
    `http://127.0.0.1:${namerd.port}/api/1/rollouts/${NAMESPACE}/active?prefix=${encodeURIComponent(PREFIX)}`,
  )
  t.equal(res.status, 404, 'no active rollout on the prefix')
})
