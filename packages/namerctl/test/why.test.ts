// `--why TEXT` (or NAMERCTL_WHY) on the commands that write a dtab: sent as l5d-why, recorded
// as the history entry's why, so `namerctl history` and the dashboard's Why column say why a
// change from the terminal was made too. A reason namerd would refuse is a usage error, and
// nothing is sent.
import t from 'tap'
import { fetchHistory, INTERNAL } from './helpers.js'
import { startNamerdWithNames } from './names.js'

const whys = async (base: string, ns: string) =>
  ((await fetchHistory(base, ns)) as unknown as { op: string; why?: string | null }[]).map((e) => [
    e.op,
    e.why ?? null,
  ])

t.test('every dtab write records its --why (or NAMERCTL_WHY) in history', async (t) => {
  const namerd = await startNamerdWithNames(t)
  const ok = async (args: string[], options: { stdin?: string; env?: Record<string, string> }) => {
    const r = await namerd.cli(args, options)
    t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
  }
  await ok(['dtab', 'create', 'internal', '-', '--why', 'new namespace für internal'], {
    stdin: INTERNAL,
  })
  await ok(['dtab', 'update', 'internal', '-', '--why', 'add hello'], {
    stdin: `${INTERNAL}/host/hello => /srv/hello-v1;\n`,
  })
  await ok(['shift', 'internal', '/host/world', '/tmp/world-v2=10', '/tmp/world-v1=90'], {
    env: { NAMERCTL_WHY: 'canary 10% (pipeline 42)' },
  })
  await ok(['shift', 'internal', '/host/world', '/tmp/world-v1=100', '--why', 'flag wins'], {
    env: { NAMERCTL_WHY: 'from the env' },
  })
  await ok(['rollback', 'internal', '--why', 'v2 answers 503'], {})
  await ok(['dtab', 'update', 'internal', '-'], { stdin: INTERNAL })
  t.same(
    (await whys(namerd.base, 'internal')).reverse().map(([, why]) => why),
    [
      'new namespace für internal',
      'add hello',
      'canary 10% (pipeline 42)',
      'flag wins',
      'v2 answers 503',
      null,
    ],
    'oldest first: each write with its reason, none when none was given',
  )
  await ok(['dtab', 'delete', 'internal', '--yes', '--why', 'retired'], {})
  const [deleted] = await whys(namerd.base, 'internal')
  t.same(deleted, ['delete', 'retired'])
})

t.test('a reason namerd would refuse is a usage error; nothing is written', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const long = await namerd.cli(['dtab', 'update', 'internal', '-', '--why', 'x'.repeat(513)], {
    stdin: `${INTERNAL}/host/a => /srv/a;\n`,
  })
  t.equal(long.code, 2)
  t.match(long.stderr, /--why is 513 characters long; namerd keeps at most 512/)
  const tab = await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v2=100'], {
    env: { NAMERCTL_WHY: 'a\tb' },
  })
  t.equal(tab.code, 2)
  t.match(tab.stderr, /NAMERCTL_WHY has a control character \(U\+0009\)/)
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 1, 'only the create')
})
