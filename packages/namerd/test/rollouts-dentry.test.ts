// The rollout's dentry (dentry.ts) and the checks at start (plan.ts), without I/O.
import { Dtab } from '@switchyard/dtab'
import type { VersionedDtab } from '@switchyard/store'
import { Rollout, type RolloutSpec } from '@switchyard/wire'
import t from 'tap'
import {
  dentryText,
  findDentry,
  replaceDentry,
  replaceWithDentry,
  stepDentry,
  stepTree,
} from '../src/rollouts/dentry.js'
import { checkSteps, planStart, rolloutId } from '../src/rollouts/plan.js'

const DTAB = Dtab.read(
  '/srv=>/#/io.l5d.fs;/host/world=>/srv/world-old;/host=>/srv;/host/world=>/srv/world-v1',
)

t.test('findDentry takes the last dentry with exactly the prefix, as shift does', async (t) => {
  const found = findDentry(DTAB, '/host/world')
  t.equal(found?.index, 3)
  t.equal(found?.text, '/host/world=>/srv/world-v1')
  t.equal(found?.tree, '/srv/world-v1')
  t.equal(findDentry(DTAB, '/host/wrold'), null)
  t.equal(dentryText(DTAB, '/host'), '/host=>/srv')
})

t.test('stepTree writes a weighted union like namerctl shift, plain `to` at 100', async (t) => {
  t.equal(
    stepTree('/srv/world-v1', '/srv/world-v2', 10),
    '10.00*/srv/world-v2 & 90.00*/srv/world-v1',
  )
  t.equal(
    stepTree('/srv/world-v1', '/srv/world-v2', 50),
    '50.00*/srv/world-v2 & 50.00*/srv/world-v1',
  )
  t.equal(stepTree('/srv/world-v1', '/srv/world-v2', 100), '/srv/world-v2')
  t.equal(
    stepTree('/srv/a | /srv/b', '/srv/world-v2', 25),
    '25.00*/srv/world-v2 & 75.00*(/srv/a | /srv/b)',
  )
  t.throws(() => stepTree('/a', '/b', 0), RangeError)
  t.throws(() => stepTree('/a', '/b', 101), RangeError)
  t.equal(stepDentry('/host/world', '/a', '/b', 100), '/host/world=>/b')
})

t.test('replaceDentry changes only the rollout dentry and never appends', async (t) => {
  const next = replaceDentry(DTAB, '/host/world', '/srv/world-v2')
  t.equal(
    Dtab.show(next!),
    '/srv=>/#/io.l5d.fs;/host/world=>/srv/world-old;/host=>/srv;/host/world=>/srv/world-v2',
  )
  t.equal(replaceDentry(DTAB, '/nope', '/srv/x'), null)
  const back = replaceWithDentry(next!, '/host/world', '/host/world=>/srv/world-v1')
  t.equal(Dtab.show(back!), Dtab.show(DTAB))
})

t.test('checkSteps: strictly increasing, ending at 100', async (t) => {
  t.equal(checkSteps([10, 50, 100]), null)
  t.equal(checkSteps([100]), null)
  t.match(checkSteps([50, 10, 100]), /strictly increase/)
  t.match(checkSteps([10, 10, 100]), /strictly increase/)
  t.match(checkSteps([10, 50]), /last step must be 100.*10,50,100/)
})

t.test('rolloutId is the prefix, the time and 4 hex digits', async (t) => {
  const id = rolloutId('/host/world', new Date('2026-12-05T04:48:12.345Z'), () => 0.5)
  t.equal(id, 'world-20261205t044812-8000')
  t.match(
    rolloutId('/host/World_API.v2', new Date(0), () => 0),
    /^world-api-v2-19700101t000000-0000$/,
  )
  t.match(
    rolloutId('/', new Date(0), () => 0),
    /^rollout-/,
  )
})

const SPEC: RolloutSpec = {
  prefix: '/host/world',
  from: '/srv/world-v1',
  to: '/srv/world-v2',
  steps: [10, 50, 100],
  intervalMs: 1000,
  progressDeadlineMs: 10_000,
  thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 20 },
  smoke: null,
  gates: [],
  metrics: { kind: 'proxies' },
  webhook: null,
  reason: 'build 512',
}
const CURRENT: VersionedDtab = {
  namespace: 'internal',
  dtab: DTAB,
  version: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7]),
}
const ids = async (tree: string): Promise<string[]> =>
  tree === '/srv/world-v2' ? ['/#/io.l5d.fs/world-v2'] : []
const base: Omit<Parameters<typeof planStart>[0], 'id'> = {
  namespace: 'internal',
  spec: SPEC,
  current: CURRENT,
  bindIds: ids,
  who: 'jenkins',
  now: new Date('2026-12-05T04:48:12Z'),
}

t.test('planStart builds a pending rollout with before from the same read', async (t) => {
  const r = await planStart({ ...base, id: 'world-1' })
  if (!r.ok) throw new Error(r.message)
  t.equal(r.rollout.phase, 'pending')
  t.equal(r.rollout.id, 'world-1')
  t.same(r.rollout.before, {
    version: 'AAAAAAAAAAc=',
    dtab: Dtab.show(DTAB),
    dentry: '/host/world=>/srv/world-v1',
  })
  t.equal(r.rollout.createdBy, 'jenkins')
  t.ok(Rollout.safeParse(r.rollout).success, 'a valid Rollout')
  const auto = await planStart(base)
  t.ok(auto.ok && /^world-20261205t044812-[0-9a-f]{4}$/.test(auto.rollout.id))
})

t.test('planStart records the start as the first event: who started it and why', async (t) => {
  const r = await planStart({ ...base, id: 'world-1', spec: { ...SPEC, reason: 'build #512' } })
  if (!r.ok) throw new Error(r.message)
  t.same(r.rollout.events, [
    {
      seq: 1,
      time: '2026-12-05T04:48:12.000Z',
      from: 'pending',
      to: 'pending',
      step: null,
      weight: null,
      who: 'jenkins',
      why: 'started by jenkins: build #512',
      dtabVersion: null,
    },
  ])
  const plain = await planStart({ ...base, id: 'world-2', spec: { ...SPEC, reason: null } })
  t.equal(plain.ok && plain.rollout.events[0]?.why, 'started by jenkins', 'no reason given')
})

t.test('planStart refuses with a status, a code and what to do', async (t) => {
  const cases: [string, Partial<typeof base>, number, string, RegExp][] = [
    ['missing namespace', { current: null }, 404, 'namespace_not_found', /does not exist/],
    [
      'dentry tree is not from',
      { spec: { ...SPEC, from: '/srv/world-v0' } },
      409,
      'dentry_mismatch',
      /is \/host\/world=>\/srv\/world-v1.*--from/,
    ],
    [
      'no dentry',
      { spec: { ...SPEC, prefix: '/host/hello' } },
      409,
      'dentry_mismatch',
      /no dentry.*\/host\/hello/,
    ],
    [
      'to binds to nothing',
      { spec: { ...SPEC, to: '/srv/world-v3' } },
      400,
      'unresolved_destination',
      /binds to no concrete name/,
    ],
    [
      'bind throws',
      {
        bindIds: async () => {
          throw new Error('too deep')
        },
      },
      400,
      'unresolved_destination',
      /too deep/,
    ],
    [
      'steps go down',
      { spec: { ...SPEC, steps: [50, 10, 100] } },
      400,
      'invalid_steps',
      /increase/,
    ],
    ['steps end early', { spec: { ...SPEC, steps: [10, 50] } }, 400, 'invalid_steps', /100/],
    ['gate not a step', { spec: { ...SPEC, gates: [75] } }, 400, 'invalid_gates', /75.*not among/],
    ['bad prefix', { spec: { ...SPEC, prefix: 'host' } }, 400, 'invalid_prefix', /prefix/],
    ['same tree', { spec: { ...SPEC, to: '/srv/world-v1' } }, 400, 'nothing_to_roll_out', /same/],
  ]
  for (const [name, over, status, code, message] of cases) {
    const r = await planStart({ ...base, ...over })
    t.notOk(r.ok, name)
    if (r.ok) continue
    t.equal(r.status, status, `${name}: status`)
    t.equal(r.code, code, `${name}: code`)
    t.match(r.message, message, `${name}: message`)
  }
})
