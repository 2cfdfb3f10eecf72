// `namerctl shift`: one dentry rewritten as a weighted union, as a compare-and-swap that
// re-reads and re-applies when another writer got in between, so concurrent shifts all land.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { fetchDtab, fetchHistory, INTERNAL } from './helpers.js'
import { startNamerdWithNames } from './names.js'

const TWO_SERVICES = `${INTERNAL}/host/hello => /srv/hello-v1;\n`

t.test('shift rewrites exactly that dentry as a weighted union and prints the diff', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const r = await namerd.cli([
    'shift',
    'internal',
    '/host/world',
    '/tmp/world-v2=10',
    '/tmp/world-v1=90',
  ])
  t.equal(r.code, 0, r.stderr)
  t.equal(
    r.stdout,
    [
      '--- internal v1 (AAAAAAAAAAE=)',
      '+++ internal v2 (AAAAAAAAAAI=)',
      '  /srv        => /#/io.l5d.k8s/default/http',
      '  /host       => /srv',
      '  /tmp        => /srv',
      '  /svc        => /host',
      '- /host/world => /srv/world-v1',
      '+ /host/world => 10.00*/tmp/world-v2 & 90.00*/tmp/world-v1',
      '/tmp/world-v2 => /#/io.l5d.k8s/default/http/world-v2 (1 endpoint)',
      '/tmp/world-v1 => /#/io.l5d.k8s/default/http/world-v1 (2 endpoints)',
      'Shifted /host/world in internal: /srv/world-v1 -> 10.00*/tmp/world-v2 & 90.00*/tmp/world-v1 (version v1 (AAAAAAAAAAE=) -> v2 (AAAAAAAAAAI=))',
      '',
    ].join('\n'),
  )
  t.equal(
    (await fetchDtab(namerd.base, 'internal')).text,
    '/srv=>/#/io.l5d.k8s/default/http;/host=>/srv;/tmp=>/srv;/svc=>/host;/host/world=>10.00*/tmp/world-v2 & 90.00*/tmp/world-v1',
  )
  const [latest] = await fetchHistory(namerd.base, 'internal')
  t.equal(latest?.op, 'update', 'written with If-Match')
  t.equal(latest?.previous, 'AAAAAAAAAAE=')
})

t.test('a single destination, or weight 100 alone, writes a plain path; 0 drops one', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v2=100'])
  t.match((await fetchDtab(namerd.base, 'internal')).text, /;\/host\/world=>\/tmp\/world-v2$/)
  await namerd.cli(['shift', 'internal', '/host/world', '/srv/world-v1=0', '/srv/world-v2=3'])
  t.match((await fetchDtab(namerd.base, 'internal')).text, /;\/host\/world=>\/srv\/world-v2$/)
  const same = await namerd.cli(['shift', 'internal', '/host/world', '/srv/world-v2'])
  t.equal(same.code, 0)
  t.match(same.stdout, /^No change: \/host\/world in internal already goes to \/srv\/world-v2/)
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 3, 'no change, no write')
})

t.test('shift --dry-run prints the diff and writes nothing', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const r = await namerd.cli([
    'shift',
    'internal',
    '/host/world',
    '/tmp/world-v2=1',
    '/tmp/world-v1=9',
    '--dry-run',
  ])
  t.equal(r.code, 0)
  t.match(r.stdout, /\+\+\+ internal \(after shift\)\n/)
  t.match(r.stdout, /\+ \/host\/world => \/tmp\/world-v2 & 9\.00\*\/tmp\/world-v1\n/)
  t.match(r.stdout, /Dry run: nothing written\.\n$/)
  t.equal((await fetchDtab(namerd.base, 'internal')).etag, 'AAAAAAAAAAE=')
})

t.test('shift --create of a prefix with no dentry appends one and says so', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const r = await namerd.cli(['shift', 'internal', '/host/hello', '/srv/hello-v2', '--create'])
  t.equal(r.code, 0, r.stderr)
  t.match(
    r.stdout,
    /^No dentry with prefix \/host\/hello in internal; appending one \(--create\)\.\n/,
  )
  t.match((await fetchDtab(namerd.base, 'internal')).text, /;\/host\/hello=>\/srv\/hello-v2$/)
})

t.test(
  'of several dentries with the prefix, shift rewrites the last (it wins lookups)',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /one; /b => /x; /a => /two' })
    await namerd.cli(['shift', 'ns', '/a', '/three'])
    t.equal((await fetchDtab(namerd.base, 'ns')).text, '/a=>/one;/b=>/x;/a=>/three')
  },
)

t.test('bad shift arguments are usage errors (exit 2) that say what is wrong', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const cases: [string[], RegExp][] = [
    [['/tmp/world-v2=ten'], /invalid weight "ten"/],
    [['/tmp/world-v2=-1'], /invalid weight "-1"/],
    [['/tmp/world-v2=10', '/tmp/world-v1'], /"\/tmp\/world-v1" has no weight/],
    [['tmp/world-v2=10'], /invalid destination "tmp\/world-v2"/],
    [['/tmp/world-v2=0'], /every weight is 0/],
    [['/tmp/a=1', '/tmp/a=2'], /destination \/tmp\/a is given twice/],
  ]
  for (const [dsts, message] of cases) {
    const r = await namerd.cli(['shift', 'internal', '/host/world', ...dsts])
    t.equal(r.code, 2, dsts.join(' '))
    t.match(r.stderr, message)
  }
  const noDst = await namerd.cli(['shift', 'internal', '/host/world'])
  t.equal(noDst.code, 2)
  const badPrefix = await namerd.cli(['shift', 'internal', 'host', '/x'])
  t.equal(badPrefix.code, 2)
  t.match(badPrefix.stderr, /invalid prefix "host"/)
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 1, 'nothing written')
})

t.test('shift of a namespace that does not exist fails with the not-found text', async (t) => {
  const namerd = await startNamerdWithNames(t)
  const r = await namerd.cli(['shift', 'nope', '/host/world', '/x'])
  t.equal(r.code, 1)
  t.match(r.stderr, /^Error: resource was not found by ID or name/)
})

t.test(
  'two CLIs shifting different dentries at the same moment both land, never on a stale version',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: TWO_SERVICES })
    const [world, hello] = await Promise.all([
      namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v2=10', '/tmp/world-v1=90']),
      namerd.cli(['shift', 'internal', '/host/hello', '/tmp/hello-v2=50', '/tmp/hello-v1=50']),
    ])
    t.equal(world.code, 0, world.stderr)
    t.equal(hello.code, 0, hello.stderr)
    const { text } = await fetchDtab(namerd.base, 'internal')
    t.match(text, /\/host\/world=>10\.00\*\/tmp\/world-v2 & 90\.00\*\/tmp\/world-v1/)
    t.match(text, /\/host\/hello=>50\.00\*\/tmp\/hello-v2 & 50\.00\*\/tmp\/hello-v1/)
    assertCasChain(t, await fetchHistory(namerd.base, 'internal'), 3)
  },
)

t.test('five concurrent shifts of five dentries all land', async (t) => {
  const namerd = await startNamerdWithNames(t)
  const names = ['a', 'b', 'c', 'd', 'e']
  await namerd.cli(['dtab', 'create', 'ns', '-'], {
    // /srv and /tmp route to the namer, so that each v1 and v2 resolves.
    stdin: `/srv => /#/io.l5d.fs; /tmp => /srv;\n${names.map((n) => `/host/${n} => /srv/${n}-v1;`).join('\n')}`,
  })
  const results = await Promise.all(
    names.map((n) =>
      namerd.cli([
        'shift',
        'ns',
        `/host/${n}`,
        `/tmp/${n}-v2=1`,
        `/tmp/${n}-v1=3`,
        '--attempts',
        '20',
      ]),
    ),
  )
  for (const r of results) t.equal(r.code, 0, r.stderr)
  const { text } = await fetchDtab(namerd.base, 'ns')
  for (const n of names) t.match(text, `/host/${n}=>/tmp/${n}-v2 & 3.00*/tmp/${n}-v1`)
  assertCasChain(t, await fetchHistory(namerd.base, 'ns'), names.length + 1)
})

t.test(
  "a write that lands between shift's read and its write makes it re-read and re-apply",
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: TWO_SERVICES })
    // A proxy in front of namerd that, just before the CLI's first PUT, lets another writer in.
    let interfered = false
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      if (req.method === 'PUT' && !interfered) {
        interfered = true
        const cur = await fetch(`${namerd.base}/api/1/dtabs/internal`, {
          headers: { accept: 'application/dtab' },
        })
        const text = (await cur.text()).replace(
          '/host/hello=>/srv/hello-v1',
          '/host/hello=>/srv/hello-v9',
        )
        await fetch(`${namerd.base}/api/1/dtabs/internal`, {
          method: 'PUT',
          headers: {
            'content-type': 'application/dtab',
            'if-match': cur.headers.get('etag') ?? '',
          },
          body: text,
        })
      }
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
      const upstream = await fetch(`${namerd.base}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length === 0 ? undefined : Buffer.concat(chunks),
      })
      const out: Record<string, string> = {}
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v
      })
      res.writeHead(upstream.status, out)
      res.end(Buffer.from(await upstream.arrayBuffer()))
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    t.teardown(() => proxy.close())
    const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`

    const r = await namerd.cli(
      ['shift', 'internal', '/host/world', '/tmp/world-v2=10', '/tmp/world-v1=90'],
      {
        env: { NAMERCTL_BASE_URL: via },
      },
    )
    t.equal(r.code, 0, r.stderr)
    t.ok(interfered)
    t.match(
      r.stderr,
      /changed between our read and our write \(412\); re-reading and re-applying \(attempt 2 of 5\)/,
    )
    t.match(
      r.stdout,
      /^--- internal v2 \(AAAAAAAAAAI=\)\n/,
      'the diff is against the version re-read',
    )
    const { text } = await fetchDtab(namerd.base, 'internal')
    t.match(text, '/host/hello=>/srv/hello-v9', 'the other write is kept')
    t.match(text, '/host/world=>10.00*/tmp/world-v2 & 90.00*/tmp/world-v1')
    assertCasChain(t, await fetchHistory(namerd.base, 'internal'), 3)
  },
)

t.test('shift gives up after --attempts conflicts, with exit 1 and a clear message', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  // Every PUT is preceded by another write, so every attempt conflicts.
  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (req.method === 'PUT') {
      await fetch(`${namerd.base}/api/1/dtabs/other`, {
        method: 'PUT',
        headers: { 'content-type': 'application/dtab' },
        body: '/x => /y',
      })
      const cur = await fetch(`${namerd.base}/api/1/dtabs/internal`, { method: 'HEAD' })
      await fetch(`${namerd.base}/api/1/dtabs/internal`, {
        method: 'PUT',
        headers: { 'content-type': 'application/dtab', 'if-match': cur.headers.get('etag') ?? '' },
        body: INTERNAL,
      })
    }
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
    const upstream = await fetch(`${namerd.base}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length === 0 ? undefined : Buffer.concat(chunks),
    })
    const out: Record<string, string> = {}
    upstream.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v
    })
    res.writeHead(upstream.status, out)
    res.end(Buffer.from(await upstream.arrayBuffer()))
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
  t.teardown(() => proxy.close())
  const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  const r = await namerd.cli(
    ['shift', 'internal', '/host/world', '/tmp/world-v2', '--attempts', '3'],
    {
      env: { NAMERCTL_BASE_URL: via },
    },
  )
  t.equal(r.code, 1)
  t.match(r.stderr, /Error: gave up after 3 attempts: internal kept changing/)
  t.match(r.stderr, /nothing was written/)
  t.notMatch((await fetchDtab(namerd.base, 'internal')).text, 'world-v2')
})

/** Every write after the create was conditional and based on the version just before it. */
function assertCasChain(
  t: Test,
  history: Awaited<ReturnType<typeof fetchHistory>>,
  length: number,
): void {
  t.equal(history.length, length, 'one write per change, none lost')
  for (let i = 0; i < history.length - 1; i++) {
    t.equal(history[i]?.op, 'update', `write ${history[i]?.version} was a compare-and-swap`)
    t.equal(history[i]?.previous, history[i + 1]?.version, 'based on the version just before it')
  }
  t.equal(history.at(-1)?.op, 'create')
}
