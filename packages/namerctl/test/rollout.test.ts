// `namerctl rollout ...` run as built (bin/namerctl.js) against a real namerd process with the
// file store and an io.l5d.fs namer. The test opens the same file store to end rollouts as a
// controller would (a terminal phase, an event), so the exit codes of watch and start --wait are
// pinned without proxies or traffic. namerd's controller runs too and takes each rollout up (its
// first step writes the dentry), so each rollout that is ended this way has a prefix of its own.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type DtabStore, openFileStore, VersionMismatchError } from '@switchyard/store'
import { Rollout, type RolloutEvent, RolloutList, type RolloutPhase } from '@switchyard/wire'
import t, { type Test } from 'tap'
import { eventually, fetchHistory, type Namerd, runCli, startNamerd, tempDir } from './helpers.js'

const DTAB = `/srv        => /#/io.l5d.fs;
/host       => /srv;
/host/world => /srv/world-v1;
/host/hello => /srv/hello-v1;
/host/a     => /srv/world-v1;
/host/b     => /srv/world-v1;
/host/c     => /srv/world-v1;
`

interface World extends Namerd {
  readonly store: DtabStore
}

async function world(t: Test): Promise<World> {
  const dir = await tempDir(t, 'namerctl-rollout-')
  const disco = join(dir, 'disco')
  await mkdir(disco)
  for (const name of ['world-v1', 'world-v2', 'hello-v1', 'hello-v2']) {
    await writeFile(join(disco, name), '10.0.0.5 8080\n')
  }
  const data = join(dir, 'store')
  await writeFile(
    join(dir, 'namerd.yaml'),
    [
      `store: ${JSON.stringify(`file:${data}`)}`,
      'namers:',
      `  - {kind: io.l5d.fs, rootDir: ${JSON.stringify(disco)}}`,
      '',
    ].join('\n'),
  )
  const namerd = await startNamerd(t, ['--config', join(dir, 'namerd.yaml')])
  const created = await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DTAB })
  t.equal(created.code, 0, created.stderr)
  const store = await openFileStore(data, { pollIntervalMs: 50 })
  t.teardown(() => store.close())
  return { ...namerd, store }
}

/** Until namerctl's watch stream is open (namerd lists it among the namespace's watchers). */
async function watching(w: World, count = 1): Promise<void> {
  await eventually(
    'namerctl watches the rollout',
    async () => {
      const res = await fetch(`${w.base}/api/1/dtabs/internal/watchers`)
      const { watchers } = (await res.json()) as { watchers: { kind: string }[] }
      return watchers.filter((x) => x.kind === 'rollout').length >= count
    },
    10_000,
  )
}

const START = ['rollout', 'start', 'internal', '/host/world', '--to', '/srv/world-v2']

async function started(t: Test, w: World, prefix = '/host/world'): Promise<Rollout> {
  const r = await w.cli([
    'rollout',
    'start',
    'internal',
    prefix,
    '--to',
    '/srv/world-v2',
    '--interval',
    '1s',
    '--json',
  ])
  t.equal(r.code, 0, r.stderr)
  return Rollout.parse(JSON.parse(r.stdout))
}

/** Ends a rollout in `phase` as the controller would, by CAS on the shared file store. */
async function finish(store: DtabStore, r: Rollout, phase: RolloutPhase, why: string) {
  for (;;) {
    const found = (await store.rollouts!.get(r.namespace, r.id))!
    const current = found.rollout
    const time = new Date().toISOString()
    const event: RolloutEvent = {
      seq: (current.events.at(-1)?.seq ?? 0) + 1,
      time,
      from: current.phase,
      to: phase,
      step: null,
      weight: null,
      who: 'controller@test',
      why,
      dtabVersion: null,
    }
    try {
      await store.rollouts!.update(
        { ...current, phase, events: [...current.events, event], endedAt: time, outcome: why },
        found.version,
      )
      return
    } catch (err) {
      if (!(err instanceof VersionMismatchError)) throw err
    }
  }
}

t.test('start, then status and list show it; a second start exits 1 naming it', async (t) => {
  const w = await world(t)
  const r = await w.cli([...START, '--reason', 'build #512'])
  t.equal(r.code, 0, r.stderr)
  const id = /Started rollout (\S+) of \/host\/world in internal/.exec(r.stdout)?.[1]
  t.ok(id, r.stdout)
  t.match(r.stdout, `Follow it: namerctl rollout watch internal ${id}`)

  const status = await w.cli(['rollout', 'status', 'internal'])
  t.equal(status.code, 0, status.stderr)
  t.match(status.stdout, `Rollout ${id} in internal`)
  t.match(status.stdout, '/host/world: /srv/world-v1 -> /srv/world-v2')
  t.match(status.stdout, 'reason: build #512')
  const byPrefix = await w.cli(['rollout', 'status', 'internal', '/host/world', '--json'])
  t.equal(Rollout.parse(JSON.parse(byPrefix.stdout)).id, id)

  const list = await w.cli(['rollout', 'list'])
  t.equal(list.code, 0)
  t.match(list.stdout, new RegExp(`internal\\s+${id}\\s+/host/world`))
  const json = await w.cli(['rollout', 'list', 'internal', '--json'])
  t.same(
    RolloutList.parse(JSON.parse(json.stdout)).rollouts.map((x) => x.id),
    [id],
  )

  const again = await w.cli(START)
  t.equal(again.code, 1)
  t.match(again.stderr, `Error: rollout ${id} is already active on /host/world`)
  t.equal(again.stdout, '')
})

t.test('flags that make no sense exit 2 and name the flag; nothing is written', async (t) => {
  const w = await world(t)
  const cases: [string[], RegExp][] = [
    [['--steps', '10,50'], /--steps "10,50": the last step must be 100/],
    [['--steps', '50,10,100'], /--steps "50,10,100": the weights must strictly increase/],
    [['--steps', '0,100'], /--steps "0,100": "0" is not a whole percentage/],
    [['--interval', '5'], /--interval "5": has no unit/],
    [['--interval', '1m1h'], /--interval "1m1h": units must go from largest to smallest/],
    [['--min-success', '99'], /--min-success "99": is more than 1: did you mean 99%\?/],
    [['--min-success', '101%'], /--min-success "101%": is more than 100%/],
    [['--max-p99', 'fast'], /--max-p99 "fast": cannot read/],
    [['--min-requests', '0'], /--min-requests "0": expected a whole number >= 1/],
    [['--gate-before', '75'], /--gate-before 75: 75 is not one of the steps/],
    [['--smoke-host', 'world'], /--smoke-host without --smoke-url/],
    [['--metrics', 'datadog'], /--metrics "datadog": expected proxies or prometheus=<url>/],
    [['--webhook', 'not a url'], /--webhook "not a url": expected an http/],
  ]
  for (const [flags, message] of cases) {
    const r = await w.cli([...START, ...flags])
    t.equal(r.code, 2, flags.join(' '))
    t.match(r.stderr, message)
  }
  const noTo = await w.cli(['rollout', 'start', 'internal', '/host/world'])
  t.equal(noTo.code, 2)
  t.match(noTo.stderr, /--to/)
  const list = await w.cli(['rollout', 'list', '--all', '--json'])
  t.same(JSON.parse(list.stdout), { rollouts: [] })
})

t.test('--dry-run prints each step and the bound ids, and writes nothing', async (t) => {
  const w = await world(t)
  const before = await fetchHistory(w.base, 'internal')
  const r = await w.cli([...START, '--steps', '10,50,100', '--gate-before', '100', '--dry-run'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'dry run: nothing written')
  t.match(r.stdout, 'from /srv/world-v1 binds to /#/io.l5d.fs/world-v1')
  t.match(r.stdout, 'to   /srv/world-v2 binds to /#/io.l5d.fs/world-v2')
  // Each step as a diff of the dentry: what it was, what the step writes.
  t.match(r.stdout, '+ /host/world => 10.00*/srv/world-v2 & 90.00*/srv/world-v1')
  t.match(r.stdout, '+ /host/world => 50.00*/srv/world-v2 & 50.00*/srv/world-v1')
  t.match(r.stdout, 'waits for namerctl rollout promote before 100%')
  t.match(r.stdout, 'step 3:  100%')
  t.match(r.stdout, '- /host/world => 50.00*/srv/world-v2 & 50.00*/srv/world-v1')
  t.match(r.stdout, '+ /host/world => /srv/world-v2')
  const json = await w.cli([...START, '--dry-run', '--json'])
  t.match(JSON.parse(json.stdout), { ids: { to: ['/#/io.l5d.fs/world-v2'] } })
  t.same(await fetchHistory(w.base, 'internal'), before, 'the dtab is untouched')
  const list = await w.cli(['rollout', 'list', '--all', '--json'])
  t.same(JSON.parse(list.stdout), { rollouts: [] }, 'no rollout stored')

  const wrongFrom = await w.cli([...START, '--from', '/srv/world-v0', '--dry-run'])
  t.equal(wrongFrom.code, 1, 'namerd refuses a --from that is not the dentry')
  t.match(wrongFrom.stderr, /\/host\/world=>\/srv\/world-v1/)
  const nowhere = await w.cli(['rollout', 'start', 'internal', '/host/world', '--to', '/srv/v9'])
  t.equal(nowhere.code, 1)
  t.match(nowhere.stderr, /binds to no concrete name/)
  const noDentry = await w.cli(['rollout', 'start', 'internal', '/host/nope', '--to', '/srv/x'])
  t.equal(noDentry.code, 1)
  t.match(noDentry.stderr, 'no dentry in internal has the prefix /host/nope')
})

t.test('pause, resume and abort --no-wait queue requests; refused once ended', async (t) => {
  const w = await world(t)
  const r = await started(t, w)
  for (const verb of ['pause', 'resume']) {
    const res = await w.cli([
      'rollout',
      verb,
      'internal',
      '/host/world',
      '--reason',
      `${verb} it`,
      '--no-wait',
    ])
    t.equal(res.code, 0, res.stderr)
    t.match(res.stdout, `Queued ${verb} for rollout ${r.id}`)
  }
  const queued = Rollout.parse(
    JSON.parse((await w.cli(['rollout', 'status', 'internal', r.id, '--json'])).stdout),
  )
  // The controller, when it runs, takes requests off the queue; what it has not taken is there.
  t.ok(
    queued.requests.every((q) => ['pause', 'resume'].includes(q.action)),
    'only what was asked',
  )
  const abort = await w.cli(['rollout', 'abort', 'internal', r.id, '--json', '--no-wait'])
  t.equal(abort.code, 0, abort.stderr)
  t.ok(Rollout.parse(JSON.parse(abort.stdout)).requests.some((q) => q.action === 'abort'))

  await finish(w.store, r, 'aborted', 'aborted by a test')
  const late = await w.cli(['rollout', 'pause', 'internal', r.id])
  t.equal(late.code, 1)
  t.match(late.stderr, `rollout ${r.id} has ended (aborted`)
  const byPrefix = await w.cli(['rollout', 'resume', 'internal', '/host/world'])
  t.equal(byPrefix.code, 1)
  t.match(byPrefix.stderr, 'no active rollout on /host/world in internal')
  const list = await w.cli(['rollout', 'list'])
  t.match(list.stdout, 'No active rollouts. (--all shows ended ones)')
  t.match((await w.cli(['rollout', 'list', '--all'])).stdout, r.id)
})

t.test('watch and start --wait: 0 succeeded, 1 rolled back, 3 unreachable', async (t) => {
  const w = await world(t)
  const first = await started(t, w, '/host/a')
  const watcher = w.cli(['rollout', 'watch', 'internal', first.id])
  await watching(w)
  await finish(w.store, first, 'succeeded', 'all steps passed')
  const ok = await watcher
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, 'controller@test: all steps passed')
  t.match(ok.stdout, `Rollout ${first.id} succeeded: all steps passed`)

  const again = await w.cli(['rollout', 'watch', 'internal', first.id])
  t.equal(again.code, 0, 'an ended rollout answers at once with its verdict')

  const waiting = w.cli([
    'rollout',
    'start',
    'internal',
    '/host/b',
    '--to',
    '/srv/world-v2',
    '--interval',
    '1s',
    '--wait',
  ])
  let second: Rollout | undefined
  for (let i = 0; i < 100 && second === undefined; i++) {
    await new Promise((r) => setTimeout(r, 50))
    second = (await w.store.rollouts!.list({ active: true })).find(
      (x) => x.rollout.prefix === '/host/b',
    )?.rollout
  }
  t.ok(second, 'start --wait stored its rollout')
  await finish(w.store, second!, 'rolled-back', 'step 1 of 4: success rate 80% < 99%')
  const failed = await waiting
  t.equal(failed.code, 1, failed.stderr)
  t.match(
    failed.stderr,
    `rollout ${second!.id} ended rolled-back: step 1 of 4: success rate 80% < 99%`,
  )

  const third = await started(t, w, '/host/c')
  const lost = w.cli(['rollout', 'watch', 'internal', third.id, '--timeout', '500ms'])
  await watching(w)
  await w.process.stop()
  const unknown = await lost
  t.equal(unknown.code, 3, unknown.stderr)
  t.match(unknown.stderr, `the verdict of rollout ${third.id} is unknown`)
})

t.test('watch --json: one Rollout per line; history shows rollout events', async (t) => {
  const w = await world(t)
  const r = await started(t, w)
  const watcher = w.cli(['rollout', 'watch', 'internal', '/host/world', '--json'])
  await watching(w)
  await finish(w.store, r, 'stopped', 'the dentry was changed by someone else')
  const res = await watcher
  t.equal(res.code, 1)
  const states = res.stdout
    .trim()
    .split('\n')
    .map((l) => Rollout.parse(JSON.parse(l)))
  t.equal(states.at(-1)?.phase, 'stopped')

  const history = await w.cli(['history', 'internal'])
  t.equal(history.code, 0, history.stderr)
  t.match(history.stdout, new RegExp(`rollout ${r.id}: \\S+ -> stopped`))
  t.match(history.stdout, 'the dentry was changed by someone else')
  const plain = await w.cli(['history', 'internal', '--json'])
  t.notMatch(plain.stdout, '"op":"rollout"', 'JSON is the dtab history unless --rollouts')
  const withRollouts = await w.cli(['history', 'internal', '--rollouts', '--json'])
  t.match(withRollouts.stdout, '"op":"rollout"')
  t.notMatch((await w.cli(['history', 'internal', '--no-rollouts'])).stdout, '-> stopped')
})

t.test('--help teaches each verb with an example', async (t) => {
  for (const verb of ['start', 'status', 'list', 'watch', 'pause', 'resume', 'promote', 'abort']) {
    const r = await runCli(['rollout', verb, '--help'])
    t.equal(r.code, 0)
    t.match(r.stdout, `Examples:\n  namerctl rollout ${verb}`)
  }
})
