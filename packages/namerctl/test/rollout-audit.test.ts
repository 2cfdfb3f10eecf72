// The rollout commands as the issue-14 audit used them (bin/namerctl.js against a real namerd
// with the file store): the weight shown is the dtab's, a request to the controller is waited
// for and an ignored one is exit 1, a missing namespace is named, flag mistakes name the flag,
// namerd going away is said once, Ctrl-C says the rollout carries on, and shift will not quietly
// stop a rollout.
import t from 'tap'
import { eventually, runCli } from './helpers.js'
import { change, ended, freePort, inStep, spawnCli, start, stored, world } from './rollout-world.js'

// The controller is held back (tickMs 60 s): the states are the controller's, written by the test.
t.test(
  'the weight shown is what the dtab says: 10% at a gate, the end state once ended',
  async (t) => {
    const w = await world(t, { tickMs: 60_000 })
    const r = await start(t, w, ['--steps', '10,100', '--gate-before', '100'])
    // Step 1 (10%) passed; at the gate before 100%: step 1 is the gated one, the dtab at 10%.
    await change(w.store, r, (x) => ({ ...inStep(0)(x), phase: 'gate', step: 1 }))
    const status = await w.cli(['rollout', 'status', 'internal', r.id])
    t.equal(status.code, 0, status.stderr)
    t.match(status.stdout, 'Weights: /srv/world-v2 10%, /srv/world-v1 90%')
    const list = await w.cli(['rollout', 'list', 'internal'])
    t.match(list.stdout, new RegExp(`${r.id}\\s+/host/world\\s+gate.*\\s10%\\s`))
    t.match(
      list.stdout,
      /\(waiting for promote\)\s+10%\s+\/srv\/world-v1/,
      'WEIGHT is 10%, not 100%',
    )

    await change(w.store, r, ended('rolled-back', 'step 1 of 2: success rate 80% < 99%'))
    const back = await w.cli(['rollout', 'status', 'internal', r.id])
    t.match(back.stdout, 'Weights: /srv/world-v1 100% (restored), /srv/world-v2 0%')
    const all = await w.cli(['rollout', 'list', 'internal', '--all'])
    t.match(all.stdout, new RegExp(`${r.id}\\s+/host/world\\s+rolled-back\\s+0%`))

    await change(w.store, r, (x) => ({ ...x, phase: 'stopped' }))
    const stopped = await w.cli(['rollout', 'status', 'internal', r.id])
    t.match(stopped.stdout, 'Weights: unknown — the dentry was changed by someone else')
    t.match((await w.cli(['rollout', 'list', '--all'])).stdout, /stopped\s+unknown/)
  },
)

t.test('a step paused by the user shows paused, not analysing', async (t) => {
  const w = await world(t, { tickMs: 60_000 })
  const r = await start(t, w)
  await change(w.store, r, (x) => ({
    ...inStep(0)(x),
    pause: { by: 'user', since: new Date().toISOString(), who: 'ops', why: 'look' },
  }))
  const status = await w.cli(['rollout', 'status', 'internal', r.id])
  t.equal(status.code, 0, status.stderr)
  t.match(status.stdout, /^\s*>\s+1\s+10%\s+paused by user/m)
  t.notMatch(status.stdout, /analysing/)
})

t.test('pause, resume, abort wait for the leader and say what it did', async (t) => {
  const w = await world(t)
  const r = await start(t, w)
  const pause = await w.cli(['rollout', 'pause', 'internal', r.id, '--reason', 'dashboards'])
  t.equal(pause.code, 0, pause.stderr)
  t.match(pause.stdout, /paused by anonymous: dashboards/)
  t.notMatch(pause.stdout, /Queued/)
  const resume = await w.cli(['rollout', 'resume', 'internal', r.id])
  t.equal(resume.code, 0, resume.stderr)
  t.match(resume.stdout, /resumed by anonymous/)
  const queued = await w.cli(['rollout', 'pause', 'internal', r.id, '--no-wait'])
  t.equal(queued.code, 0, queued.stderr)
  t.match(queued.stdout, `Queued pause for rollout ${r.id}`)
  const abort = await w.cli(['rollout', 'abort', 'internal', r.id])
  t.equal(abort.code, 0, abort.stderr)
  t.match(abort.stdout, /aborted by anonymous/)
})

t.test(
  '409 already paused / not paused; an abort the rollout ended before the leader took is exit 1',
  async (t) => {
    const w = await world(t, { tickMs: 60_000 })
    const r = await start(t, w)
    // Where the state is known (nothing queued before), namerd refuses at once.
    const notPaused = await w.cli(['rollout', 'resume', 'internal', r.id])
    t.equal(notPaused.code, 1, 'not paused')
    t.match(
      notPaused.stderr,
      `Error: rollout ${r.id} is not paused (pending); there is nothing to resume`,
    )
    await change(w.store, r, (x) => ({
      ...x,
      pause: { by: 'user', since: new Date().toISOString(), who: 'ops', why: 'dashboards' },
    }))
    const paused = await w.cli(['rollout', 'pause', 'internal', r.id])
    t.equal(paused.code, 1, 'already paused')
    t.match(paused.stderr, `Error: rollout ${r.id} is already paused by ops`)
    const abort = spawnCli(w.base, ['rollout', 'abort', 'internal', r.id])
    await eventually(
      'the abort is queued',
      async () => (await stored(w, r.id)).requests.length > 0,
      10_000,
    )
    // The controller ends it (the last step passed) and the request goes with the queue.
    await change(w.store, r, ended('succeeded', 'all 4 steps passed'))
    t.equal(await abort.done, 1, abort.stderr)
    t.match(
      abort.stderr,
      `abort was not done: rollout ${r.id} ended succeeded before namerd's leader took the request`,
    )
  },
)

t.test('a namespace that does not exist is named, with the ones that do', async (t) => {
  const w = await world(t)
  for (const args of [
    ['rollout', 'list', 'nons'],
    ['rollout', 'status', 'nons'],
  ]) {
    const r = await w.cli(args)
    t.equal(r.code, 1, args.join(' '))
    t.match(r.stderr, 'namespace "nons" does not exist')
    t.match(r.stderr, 'namespaces that exist: internal')
  }
  const res = await fetch(`${w.base}/api/1/rollouts?namespace=nons`)
  t.equal(res.status, 404)
  t.match(await res.json(), { error: 'namespace_not_found' })
  const ok = await fetch(`${w.base}/api/1/rollouts?namespace=internal`)
  t.equal(ok.status, 200, 'a namespace without rollouts lists none')
})

t.test('flag mistakes exit 2 naming the flag, the limit and an example', async (t) => {
  const w = await world(t)
  const START = ['rollout', 'start', 'internal', '/host/world', '--to', '/srv/world-v2']
  const cases: [string[], RegExp][] = [
    [['--interval', '50ms'], /--interval "50ms": must be at least 100ms[\s\S]*e\.g\. --interval/],
    [['--progress-deadline', '10ms'], /--progress-deadline "10ms": must be at least 100ms/],
    [
      ['--smoke-url', 'http://127.0.0.1:1/', '--smoke-requests', '5000'],
      /--smoke-requests "5000": at most 1000 requests[\s\S]*e\.g\./,
    ],
    [
      ['--smoke-url', 'http://127.0.0.1:1/', '--smoke-expect', '2xx,abc'],
      /--smoke-expect "2xx,abc": "abc" is not a status[\s\S]*e\.g\. --smoke-expect/,
    ],
    [['--reason', 'x'.repeat(1500)], /--reason: 1500 characters, more than the 1000/],
  ]
  for (const [flags, message] of cases) {
    const r = await w.cli([...START, ...flags])
    t.equal(r.code, 2, flags.join(' ').slice(0, 80))
    t.match(r.stderr, message)
    t.notMatch(r.stderr, /Too (small|big)|expected number|Invalid string/)
  }
  const badTo = await w.cli([
    'rollout',
    'start',
    'internal',
    '/host/world',
    '--to',
    '/srv/world-v2 &&',
  ])
  t.equal(badTo.code, 2)
  t.match(badTo.stderr, /--to "\/srv\/world-v2 &&" is not a name tree/)
  const badFrom = await w.cli([...START, '--from', '&'])
  t.equal(badFrom.code, 2)
  t.match(badFrom.stderr, /--from "&" is not a name tree/)
  t.same(JSON.parse((await w.cli(['rollout', 'list', '--all', '--json'])).stdout), { rollouts: [] })
})

t.test(
  'namerd unreachable: said once on stderr, and once when back; Ctrl-C says it carries on',
  async (t) => {
    const w = await world(t)
    const r = await start(t, w)
    const watch = spawnCli(w.base, ['rollout', 'watch', 'internal', r.id])
    await eventually('the watch shows the rollout', async () => watch.stdout.includes(r.id), 10_000)
    await w.stop()
    await eventually(
      'the watch says namerd is away',
      async () => watch.stderr.includes('retrying'),
      10_000,
    )
    t.match(watch.stderr, `cannot reach namerd at ${w.base}`)
    t.match(watch.stderr, 'retrying until it answers (give --timeout to stop)')
    // Retries every 500 ms; the line is not repeated.
    await new Promise((res) => setTimeout(res, 1500))
    t.equal(watch.stderr.split('cannot reach namerd').length - 1, 1, watch.stderr)
    await w.restart()
    await eventually(
      'the watch says namerd is back',
      async () => watch.stderr.includes('answers again'),
      15_000,
    )
    watch.child.kill('SIGINT')
    t.equal(await watch.done, 130)
    t.match(
      watch.stderr,
      `stopped watching; the rollout carries on (namerctl rollout abort internal ${r.id} to stop it)`,
    )
    t.equal((await stored(w, r.id)).phase !== 'aborted', true, 'the rollout was left alone')
  },
)

t.test('a start that cannot reach namerd says nothing was started (exit 1)', async (t) => {
  const port = await freePort()
  const r = await runCli(
    [
      'rollout',
      'start',
      'internal',
      '/host/world',
      '--to',
      '/srv/world-v2',
      '--wait',
      '--timeout',
      '1s',
    ],
    { env: { NAMERCTL_BASE_URL: `http://127.0.0.1:${port}` } },
  )
  t.equal(r.code, 1, r.stderr)
  t.match(
    r.stderr,
    `Error: no rollout was started: cannot reach namerd at http://127.0.0.1:${port}`,
  )
  t.match(r.stderr, 'nothing was written')
})

t.test('shift refuses a prefix a rollout is moving, naming it, unless --force', async (t) => {
  const w = await world(t)
  const r = await start(t, w)
  const refused = await w.cli([
    'shift',
    'internal',
    '/host/world',
    '/srv/world-v2=50',
    '/srv/world-v1=50',
  ])
  t.equal(refused.code, 1, refused.stderr)
  t.match(refused.stderr, `rollout ${r.id} is moving /host/world in internal`)
  t.match(refused.stderr, `namerctl rollout abort internal ${r.id}`)
  t.equal((await stored(w, r.id)).phase === 'stopped', false, 'the rollout goes on')
  const other = await w.cli(['shift', 'internal', '/host/hello', '/srv/hello-v2'])
  t.equal(other.code, 0, other.stderr)
  const forced = await w.cli(['shift', 'internal', '/host/world', '/srv/world-v2', '--force'])
  t.equal(forced.code, 0, forced.stderr)
})

t.test('the API: a malformed If-Match is 400; its hints show bodies it accepts', async (t) => {
  const w = await world(t)
  const r = await start(t, w)
  const bogus = await fetch(`${w.base}/api/1/rollouts/internal/${r.id}/pause`, {
    method: 'POST',
    headers: { 'if-match': 'bogus' },
  })
  t.equal(bogus.status, 400)
  const body = (await bogus.json()) as { error: string; message: string }
  t.equal(body.error, 'invalid_version')
  t.match(body.message, 'If-Match "bogus" is not a version')

  const wrong = await fetch(`${w.base}/api/1/rollouts/internal`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'x',
  })
  t.equal(wrong.status, 415)
  const hint = ((await wrong.json()) as { message: string }).message
  const example = /(\{.*\})/.exec(hint)?.[1]
  t.ok(example, hint)
  const a = await fetch(`${w.base}/api/1/rollouts/internal?dryRun=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: example!.replace('/host/world', '/host/hello').replace('/srv/world-v2', '/srv/hello-v2'),
  })
  t.equal(a.status, 200, 'the hinted start body is accepted')
  const act = await fetch(`${w.base}/api/1/rollouts/internal/${r.id}/pause`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'x',
  })
  const actHint = ((await act.json()) as { message: string }).message
  const actBody = /(\{[^}]*\})/.exec(actHint)?.[1]
  t.ok(actBody, actHint)
  const taken = await fetch(`${w.base}/api/1/rollouts/internal/${r.id}/pause`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: actBody!,
  })
  t.equal(taken.status, 202, 'the hinted action body is accepted')
})

t.test('abort --help has its own example and wrapped lines', async (t) => {
  const r = await runCli(['rollout', 'abort', '--help'])
  t.equal(r.code, 0)
  t.notMatch(r.stdout, 'checking the dashboards')
  t.match(r.stdout, 'namerctl rollout abort internal /host/world --reason')
  for (const line of r.stdout.split('\n')) t.ok(line.length <= 100, line)
})
