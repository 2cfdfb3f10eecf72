// The rollout commands as the second issue-14 audit used them (bin/namerctl.js against a real
// namerd, file store): a prefix means the ACTIVE rollout, wildcard prefixes work, a cut pipe or
// SIGTERM is never a silent "succeeded", dtab delete will not quietly stop a rollout, and what
// namerctl prints reads as sentences. The controller is held back (tickMs 60 s) where the test
// writes the controller's states itself.

import t from 'tap'
import { phasePhrase } from '../src/commands/rollout/render.js'
import { eventually } from './helpers.js'
import { change, ended, inStep, spawnCli, start, stored, world } from './rollout-world.js'

t.test('a prefix (or nothing) means the active rollout; an ended one is only a hint', async (t) => {
  const w = await world(t, { tickMs: 60_000 })
  const r = await start(t, w)
  await change(w.store, r, ended('succeeded', 'all 4 steps passed'))
  for (const args of [
    ['rollout', 'watch', 'internal', '/host/world'],
    ['rollout', 'status', 'internal', '/host/world'],
  ]) {
    const res = await w.cli(args)
    t.equal(res.code, 1, `${args.join(' ')}: ${res.stderr}`)
    t.match(res.stderr, 'Error: no active rollout on /host/world in internal')
    t.match(res.stderr, `the newest there ended succeeded: ${r.id}`)
    t.match(res.stderr, `namerctl rollout status internal ${r.id}`)
    t.notMatch(res.stdout, r.id, 'the old rollout is not followed')
  }
  const none = await w.cli(['rollout', 'watch', 'internal'])
  t.equal(none.code, 1, none.stderr)
  t.match(none.stderr, 'Error: no active rollout in internal')
  const byId = await w.cli(['rollout', 'status', 'internal', r.id])
  t.equal(byId.code, 0, 'an id still names any rollout')
})

t.test('a wildcard dentry prefix (/host/*) can be rolled out and named', async (t) => {
  const w = await world(t, { tickMs: 60_000 })
  const put = await fetch(`${w.base}/api/1/dtabs/internal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: '/srv => /#/io.l5d.fs; /host/* => /srv/world-v1;',
  })
  t.ok(put.ok, `PUT ${put.status}`)
  const started = await w.cli([
    'rollout',
    'start',
    'internal',
    '/host/*',
    '--to',
    '/srv/world-v2',
    '--json',
  ])
  t.equal(started.code, 0, started.stderr)
  t.equal(JSON.parse(started.stdout).prefix, '/host/*')
  const status = await w.cli(['rollout', 'status', 'internal', '/host/*'])
  t.equal(status.code, 0, status.stderr)
  t.match(status.stdout, '/host/*: /srv/world-v1 -> /srv/world-v2')
})

t.test('a watch whose reader goes away (| head -1) exits 141, not 0', async (t) => {
  const w = await world(t, { tickMs: 60_000 })
  const r = await start(t, w)
  const watch = spawnCli(w.base, ['rollout', 'watch', 'internal', r.id])
  await eventually('the watch shows the rollout', async () => watch.stdout.includes(r.id), 10_000)
  watch.child.stdout!.destroy()
  // The next event is written to a closed pipe.
  await change(w.store, r, (x) => ({
    ...x,
    events: [
      ...x.events,
      {
        seq: (x.events.at(-1)?.seq ?? 0) + 1,
        time: new Date().toISOString(),
        from: 'pending',
        to: 'pending',
        step: null,
        weight: null,
        who: 'controller@test',
        why: 'waiting for the proxies',
        dtabVersion: null,
      },
    ],
  }))
  t.equal(await watch.done, 141, watch.stderr)
})

t.test(
  'SIGTERM (a CI abort) says the rollout carries on, as Ctrl-C does, and exits 143',
  async (t) => {
    const w = await world(t, { tickMs: 60_000 })
    const r = await start(t, w)
    const watch = spawnCli(w.base, ['rollout', 'watch', 'internal', r.id])
    await eventually('the watch shows the rollout', async () => watch.stdout.includes(r.id), 10_000)
    watch.child.kill('SIGTERM')
    t.equal(await watch.done, 143)
    t.match(
      watch.stderr,
      `stopped watching; the rollout carries on (namerctl rollout abort internal ${r.id} to stop it)`,
    )
  },
)

t.test('dtab delete refuses a namespace with an active rollout unless --force', async (t) => {
  const w = await world(t, { tickMs: 60_000 })
  const r = await start(t, w)
  const refused = await w.cli(['dtab', 'delete', 'internal', '--yes'])
  t.equal(refused.code, 1, refused.stderr)
  t.match(refused.stderr, 'Error: a rollout is active in internal')
  t.match(
    refused.stderr,
    `${r.id} (/host/world, pending): abort it with namerctl rollout abort internal ${r.id}`,
  )
  t.match(refused.stderr, '--force')
  t.equal((await w.cli(['dtab', 'get', 'internal'])).code, 0, 'the dtab is still there')
  const forced = await w.cli(['dtab', 'delete', 'internal', '--yes', '--force'])
  t.equal(forced.code, 0, forced.stderr)
  t.match(forced.stdout, 'Deleted internal')

  // The controller then stops the rollout (machine.ts's why); status says the namespace is gone.
  await change(w.store, r, (x) => ({
    ...inStep(0)(x),
    stepRecords: inStep(0)(x).stepRecords.map((s) => ({ ...s, verdict: 'insufficient' as const })),
  }))
  await change(
    w.store,
    r,
    ended('stopped', 'namespace internal is gone; the rollout stops and writes nothing'),
  )
  const status = await w.cli(['rollout', 'status', 'internal', r.id])
  t.equal(status.code, 0, status.stderr)
  t.match(status.stdout, 'Weights: none — namespace internal is gone')
  t.notMatch(status.stdout, 'changed by someone else')
  t.notMatch(status.stdout, 'waiting for traffic', 'the ended step reads stopped')
  t.match(status.stdout, /^\s+1\s+10%\s+stopped/m)
})

t.test(
  'promote on a rollout the leader holds at pending names the pause, not "no leader"',
  async (t) => {
    const w = await world(t, { tickMs: 60_000 })
    const r = await start(t, w)
    const why = 'no proxy metrics can be read for internal'
    await change(w.store, r, (x) => ({
      ...x,
      pause: { by: 'metrics', since: new Date().toISOString(), who: 'namerd', why },
    }))
    const promote = await w.cli(['rollout', 'promote', 'internal', r.id])
    t.equal(promote.code, 1, promote.stderr)
    t.match(promote.stderr, `paused by namerd's leader before its first step: ${why}`)
    t.notMatch(promote.stderr, 'no leader')
  },
)

t.test('phases read as sentences; history and skipped steps are readable', async (t) => {
  const w = await world(t, { tickMs: 60_000 })
  const r = await start(t, w, ['--steps', '10,50,100'])
  // promote --full from step 1: steps 2 and 3 were skipped, and the rollout succeeded.
  await change(w.store, r, (x) => ({
    ...inStep(0)(x),
    stepRecords: inStep(0)(x).stepRecords.map((s) => ({ ...s, verdict: 'pass' as const })),
  }))
  await change(w.store, r, (x) => ({
    ...ended('succeeded', 'promoted to 100% by ops')(x),
    events: [
      ...x.events,
      {
        seq: (x.events.at(-1)?.seq ?? 0) + 1,
        time: new Date().toISOString(),
        from: 'step',
        to: 'step',
        step: 2,
        weight: 100,
        who: 'ops',
        why: 'promoted by ops',
        dtabVersion: null,
      },
    ],
  }))
  const status = await w.cli(['rollout', 'status', 'internal', r.id])
  t.match(status.stdout, /^\s+2\s+50%\s+skipped/m)
  t.match(status.stdout, /^\s+3\s+100%\s+skipped/m)
  const history = await w.cli(['history', 'internal'])
  t.equal(history.code, 0, history.stderr)
  t.match(history.stdout, `rollout ${r.id}: step -> step 3 (100%)`)
  t.notMatch(history.stdout, 'step step')
  t.equal((await stored(w, r.id)).phase, 'succeeded')

  // The action's last line, per phase.
  const base = { ...r, steps: [10, 50, 100], pause: null }
  t.equal(phasePhrase({ ...base, phase: 'step', step: 1 }), 'is at step 2 of 3 (50%)')
  t.equal(
    phasePhrase({
      ...base,
      phase: 'gate',
      step: 2,
      pause: { by: 'user', since: r.createdAt, who: 'ops', why: 'look' },
    }),
    'is waiting at the gate before 100% (paused)',
  )
  t.equal(phasePhrase({ ...base, phase: 'succeeded', step: 2 }), 'has succeeded')
  t.equal(phasePhrase({ ...base, phase: 'rolled-back', step: 0 }), 'was rolled back')
})

t.test('pause says where the rollout is in words', async (t) => {
  const w = await world(t)
  const r = await start(t, w)
  const pause = await w.cli(['rollout', 'pause', 'internal', r.id, '--reason', 'dashboards'])
  t.equal(pause.code, 0, pause.stderr)
  // Where the leader had it when the pause was taken: before its first step, or in step 1.
  t.match(
    pause.stdout,
    new RegExp(
      `Rollout ${r.id} is (pending \\(before its first step\\)|at step 1 of 4 \\(10%\\)) \\(paused\\)\n`,
    ),
  )
})

t.test(
  'start warns when another active rollout moves traffic to the same destination',
  async (t) => {
    const w = await world(t, { tickMs: 60_000 })
    const first = await start(t, w)
    const second = await w.cli([
      'rollout',
      'start',
      'internal',
      '/host/hello',
      '--to',
      '/srv/world-v2',
    ])
    t.equal(second.code, 0, second.stderr)
    t.match(
      second.stderr,
      `warning: rollout ${first.id} (/host/world) is also moving traffic to /srv/world-v2`,
    )
  },
)

t.test('--dry-run shows each step as a diff of the dentry', async (t) => {
  const w = await world(t, { tickMs: 60_000 })
  const plan = await w.cli([
    'rollout',
    'start',
    'internal',
    '/host/world',
    '--to',
    '/srv/world-v2',
    '--steps',
    '10,100',
    '--dry-run',
  ])
  t.equal(plan.code, 0, plan.stderr)
  t.match(plan.stdout, /step 1: {2}10%/)
  t.match(plan.stdout, /^ {4}- \/host\/world => \/srv\/world-v1$/m)
  t.match(
    plan.stdout,
    /^ {4}\+ \/host\/world => 10\.00\*\/srv\/world-v2 & 90\.00\*\/srv\/world-v1$/m,
  )
  t.match(plan.stdout, /^ {4}- \/host\/world => 10\.00\*/m)
  t.match(plan.stdout, /^ {4}\+ \/host\/world => \/srv\/world-v2$/m)
})
