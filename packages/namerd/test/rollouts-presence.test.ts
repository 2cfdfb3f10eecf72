// Presence and the proxy directory on the memory store's LeaseStore: each replica publishes
// its own watchers' admin addresses; another replica's directory sees them, and stops seeing
// them once the first closes (its lease deleted).
import { openMemoryStore } from '@switchyard/store'
import { pino } from 'pino'
import t from 'tap'
import { createProxyDirectory } from '../src/rollouts/directory.js'
import { presenceData, startPresence } from '../src/rollouts/presence.js'
import { lagging, shortVersion, versionAtLeast } from '../src/rollouts/propagation.js'
import type { StateStream } from '../src/routes/watch.js'
import { WatcherRegistry } from '../src/watchers.js'

const log = pino({ level: 'silent' })
const stream = {} as StateStream

function watch(
  r: WatcherRegistry,
  namespace: string,
  admin: string | null,
  id: string | null = null,
) {
  return r.add({
    id,
    kind: 'dtab',
    namespace,
    target: `/api/1/dtabs/${namespace}?watch=true`,
    remote: '127.0.0.1:5',
    since: new Date(),
    stream,
    admin,
  })
}

t.test("another replica sees this one's proxies, until it closes", async (t) => {
  const store = openMemoryStore()
  const leases = store.leases
  if (leases === undefined) throw new Error('the memory store has no leases facet')
  const one = new WatcherRegistry()
  const two = new WatcherRegistry()
  watch(one, 'internal', '127.0.0.1:9990', 'proxy-a')
  watch(one, 'internal', '127.0.0.1:9990', 'proxy-a') // a second stream of the same proxy
  watch(one, 'other', '127.0.0.1:9991', 'proxy-b')
  watch(one, 'internal', null, 'no-admin')
  watch(two, 'internal', '127.0.0.1:9992', 'proxy-c')
  const presence = startPresence({ leases, watchers: one, replicaId: 'one', presenceMs: 50, log })
  const dir = createProxyDirectory({ leases, watchers: two, presenceMs: 50, replicaId: 'two' })
  await new Promise((r) => setTimeout(r, 100))
  const lease = await leases.get('replica.one')
  t.equal(lease?.holder, 'one')
  t.equal(lease?.durationMs, 150)
  const seen = await dir.proxies('internal')
  t.same(
    seen.sort((a, b) => a.admin.localeCompare(b.admin)),
    [
      { admin: '127.0.0.1:9990', id: 'proxy-a', replica: 'one' },
      { admin: '127.0.0.1:9992', id: 'proxy-c', replica: 'two' },
    ],
  )
  t.same(await dir.proxies('other'), [{ admin: '127.0.0.1:9991', id: 'proxy-b', replica: 'one' }])
  await presence.close()
  t.equal(await leases.get('replica.one'), null, 'its lease is gone')
  t.same(await dir.proxies('internal'), [
    { admin: '127.0.0.1:9992', id: 'proxy-c', replica: 'two' },
  ])
})

t.test('a replica that stopped renewing drops out after the lease time', async (t) => {
  const store = openMemoryStore()
  const leases = store.leases!
  let now = 1_000_000
  const one = new WatcherRegistry()
  watch(one, 'internal', '127.0.0.1:9990', 'proxy-a')
  await leases.write(
    'replica.one',
    {
      holder: 'one',
      durationMs: 150,
      acquiredAt: new Date(),
      renewedAt: new Date(),
      transitions: 0,
      data: presenceData(one),
    },
    null,
  )
  const dir = createProxyDirectory({
    leases,
    watchers: new WatcherRegistry(),
    presenceMs: 50,
    now: () => now,
  })
  t.equal((await dir.proxies('internal')).length, 1)
  now += 100
  t.equal((await dir.proxies('internal')).length, 1, 'within the lease time')
  now += 100
  t.equal((await dir.proxies('internal')).length, 0, 'unchanged for longer than the lease: gone')
})

t.test('the data fits a lease however many proxies watch', async (t) => {
  const r = new WatcherRegistry()
  for (let i = 0; i < 5000; i++)
    watch(
      r,
      `namespace-with-a-long-name-${i}`,
      `127.0.0.1:${1000 + i}`,
      `proxy-${'x'.repeat(40)}-${i}`,
    )
  const data = presenceData(r)
  t.ok(Buffer.byteLength(data) <= 64 * 1024)
  t.ok((JSON.parse(data) as unknown[]).length > 100, 'still lists many')
})

t.test('the registry keeps an admin address only within the allow-list', async (t) => {
  const byDefault = new WatcherRegistry()
  t.same(byDefault.admitAdmin('127.0.0.1:9990', '10.0.0.5'), {
    admin: '127.0.0.1:9990',
    refused: null,
  })
  t.same(
    byDefault.admitAdmin('10.0.0.5:9990', '::ffff:10.0.0.5'),
    { admin: '10.0.0.5:9990', refused: null },
    'its own address',
  )
  t.same(
    byDefault.admitAdmin('0.0.0.0:9990', '10.0.0.5'),
    { admin: '10.0.0.5:9990', refused: null },
    'every interface: where the watch came from',
  )
  t.same(byDefault.admitAdmin('[::]:9990', '::1'), { admin: '[::1]:9990', refused: null })
  t.match(byDefault.admitAdmin('10.0.0.6:9990', '10.0.0.5'), {
    admin: null,
    refused: /outside rollouts.proxyAdmin.allow/,
  })
  t.match(byDefault.admitAdmin('metadata.internal:80', '10.0.0.5'), {
    admin: null,
    refused: /not an ip:port/,
  })
  t.same(byDefault.admitAdmin(null, '10.0.0.5'), { admin: null, refused: null })
  const pods = new WatcherRegistry({ adminAllow: ['10.0.0.0/8'] })
  t.same(pods.admitAdmin('10.9.9.9:9990', '10.0.0.5').admin, '10.9.9.9:9990')
  t.equal(
    pods.admitAdmin('127.0.0.1:9990', '127.0.0.1').admin,
    null,
    'only the list when one is given',
  )
  t.throws(() => new WatcherRegistry({ adminAllow: ['10.0.0.0/33'] }), /not a CIDR/)
})

t.test(
  "the propagation look-up joins every stream of a proxy, this replica's and the others'",
  async (t) => {
    const store = openMemoryStore()
    const leases = store.leases!
    const one = new WatcherRegistry()
    const two = new WatcherRegistry()
    const streamOf = (version: string | null) => ({ version }) as unknown as StateStream
    const add = (r: WatcherRegistry, admin: string, version: string | null, id: string) =>
      r.add({
        id,
        kind: 'dtab',
        namespace: 'internal',
        target: '/api/1/dtabs/internal?watch=true',
        remote: '127.0.0.1:5',
        since: new Date(),
        stream: streamOf(version),
        admin,
      })
    add(one, '127.0.0.1:9990', 'AAAAAAAAAAw=', 'proxy-a')
    add(one, '127.0.0.1:9990', null, 'proxy-a') // a second stream, not sent anything yet
    add(two, '127.0.0.1:9992', 'AAAAAAAAAAs=', 'proxy-c')
    const presence = startPresence({ leases, watchers: one, replicaId: 'one', presenceMs: 50, log })
    t.teardown(() => presence.close())
    const dir = createProxyDirectory({ leases, watchers: two, presenceMs: 50, replicaId: 'two' })
    await new Promise((r) => setTimeout(r, 100))
    const seen = await dir.propagation('internal')
    t.same(
      seen.sort((a, b) => a.admin.localeCompare(b.admin)),
      [
        {
          admin: '127.0.0.1:9990',
          id: 'proxy-a',
          replica: 'one',
          versions: ['AAAAAAAAAAw=', null],
        },
        { admin: '127.0.0.1:9992', id: 'proxy-c', replica: 'two', versions: ['AAAAAAAAAAs='] },
      ],
    )
    t.same(
      lagging(seen, 'AAAAAAAAAAs=').map((l) => `${l.proxy.id}: ${l.has}`),
      ['proxy-a: nothing yet'],
      'v11: the stream sent nothing lags; v12 counts as at or after v11',
    )
  },
)

t.test(
  'versionAtLeast orders counters and revisions, and only matches anything else',
  async (t) => {
    t.ok(versionAtLeast('AAAAAAAAAAw=', 'AAAAAAAAAAs='), 'counter 12 >= 11')
    t.notOk(versionAtLeast('AAAAAAAAAAs=', 'AAAAAAAAAAw='), 'counter 11 < 12')
    t.ok(versionAtLeast('MTI=', 'OQ=='), 'revision 12 >= 9')
    t.notOk(versionAtLeast('OQ==', 'MTI='), 'revision 9 < 12')
    t.notOk(versionAtLeast('eHl6', 'YWJj'), 'opaque: only equal')
    t.ok(versionAtLeast('eHl6', 'eHl6'))
    t.equal(shortVersion('AAAAAAAAAAw='), 'v12')
    t.equal(shortVersion('MTI='), 'v12')
  },
)
