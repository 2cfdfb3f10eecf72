// The re-audit of issue 13 ("a mistake is never silent"): mistakes namerctl still let pass with
// exit 0, or reported as another mistake. Each is run as a user meets it: namerctl as a process
// against a real namerd (and, for a wrong --base-url, a real switchyard-proxy).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { startProxy } from '../../../test/e2e/mesh.js'
import { fetchDtab, fetchHistory, runCli, tempDir, writeTemp } from './helpers.js'
import { DEMO, startNamerdWithNames } from './names.js'

/** DEMO with /host/world sent to world-v2: another dtab whose names resolve. */
const DEMO_V2 = DEMO.replace('/srv/world-v1', '/srv/world-v2')

t.test(
  'dtab update --dry-run forecasts what the real update does, and exits 1 if it would be refused',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
    await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: DEMO_V2 })
    const writes = async () => (await fetchHistory(namerd.base, 'internal')).length
    const file = await writeTemp(t, 'internal.dtab', DEMO)
    const update = (version: string, ...more: string[]) =>
      namerd.cli(['dtab', 'update', 'internal', file, '--version', version, ...more])

    const stale = await update('v1', '--dry-run')
    t.equal(stale.code, 1, 'a dry run of a write that would be refused fails')
    t.match(stale.stdout, /^--- internal v2 \(AAAAAAAAAAI=\)\n/, 'the diff is still shown')
    t.notMatch(stale.stdout, 'Dry run: nothing written.', 'not said as if it went well')
    t.match(
      stale.stderr,
      'Error: the update would fail with 412: it is based on version v1 (AAAAAAAAAAE=), but internal is at v2 (AAAAAAAAAAI=)\n',
    )
    t.match(stale.stderr, 'Dry run: nothing written.')

    // An ETag as an ETag header shows it, in quotes, or with a space copied along: the same version.
    const quoted = await update('"AAAAAAAAAAI="', '--dry-run')
    t.equal(quoted.code, 0, quoted.stderr)
    t.notMatch(quoted.stdout + quoted.stderr, /412/)
    t.match(quoted.stdout, /Dry run: nothing written\.\n$/)
    const real = await update('"AAAAAAAAAAI="')
    t.equal(real.code, 0, real.stderr)
    t.equal(real.stdout, 'Updated internal\n')
    const spaced = await update('AAAAAAAAAAM= ', '--dry-run')
    t.equal(spaced.code, 0, spaced.stderr)
    t.notMatch(spaced.stdout + spaced.stderr, /412/)

    // An ETag-shaped typo is no version of internal: the dry run says what the real run says.
    const typoDry = await update('v2e0', '--dry-run')
    t.equal(typoDry.code, 1)
    t.match(
      typoDry.stderr,
      /Error: internal has no version v2e0 in its history; nothing would be written\n/,
    )
    t.notMatch(typoDry.stderr, /412/)
    const typo = await update('v2e0')
    t.equal(typo.code, 1)
    t.match(
      typo.stderr,
      /^Error: internal has no version v2e0 in its history; nothing was written\n/,
    )
    t.equal(await writes(), 3, 'only the real update with the right version wrote')
  },
)

t.test(
  '--version and a JSON file that carries another version: a usage error naming both',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
    await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: DEMO_V2 })
    await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: DEMO })
    const json = await namerd.cli(['dtab', 'get', 'internal', '--json'])
    const file = await writeTemp(t, 'internal.json', json.stdout.replace('world-v1', 'world-v2'))

    const both = await namerd.cli(['dtab', 'update', 'internal', file, '--version', 'v1'])
    t.equal(both.code, 2, both.stderr)
    t.match(
      both.stderr,
      /^Error: --version v1 and the version in \S+internal\.json, v3 \(AAAAAAAAAAM=\), differ\n/,
    )
    t.match(both.stderr, 'v1 (AAAAAAAAAAE=)')
    t.equal((await fetchHistory(namerd.base, 'internal')).length, 3, 'nothing was written')

    const agree = await namerd.cli(['dtab', 'update', 'internal', file, '--version', 'v3'])
    t.equal(agree.code, 0, agree.stderr)
    t.equal(agree.stdout, 'Updated internal\n')
  },
)

t.test(
  'rollback to an empty version is refused unless --allow-empty; --to reads versions as --version does',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
    await namerd.cli(['dtab', 'update', 'internal', '-', '--allow-empty'], { stdin: '' })
    await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: DEMO_V2 })
    const writes = async () => (await fetchHistory(namerd.base, 'internal')).length

    const wipe = await namerd.cli(['rollback', 'internal', '--to', 'v2'])
    t.equal(wipe.code, 1)
    t.match(
      wipe.stderr,
      /^Error: the dtab from version v2 \(AAAAAAAAAAI=\) has no dentries; nothing written\n/,
    )
    t.match(wipe.stderr, 'routers watching internal would lose these routes:')
    t.match(wipe.stderr, '--allow-empty')
    t.equal(await writes(), 3, 'no rollback written')
    t.match((await fetchDtab(namerd.base, 'internal')).text, '/srv/world-v2')

    const meant = await namerd.cli(['rollback', 'internal', '--to', 'v2', '--allow-empty'])
    t.equal(meant.code, 0, meant.stderr)
    t.equal((await fetchDtab(namerd.base, 'internal')).text, '')

    const quoted = await namerd.cli(['rollback', 'internal', '--to', '"AAAAAAAAAAE="'])
    t.equal(quoted.code, 0, quoted.stderr)
    t.match(quoted.stdout, 'Rolled back internal to v1 (AAAAAAAAAAE=)')
    t.match((await fetchDtab(namerd.base, 'internal')).text, '/srv/world-v1')

    const bare = await namerd.cli(['rollback', 'internal', '--to', '1'])
    t.equal(bare.code, 2)
    t.match(bare.stderr, 'Error: --to "1" is not a version\n')
    t.match(bare.stderr, 'give the short form v<N> (e.g. v6) or the ETag')
    t.equal(await writes(), 5)
  },
)

t.test('history --limit diffs the oldest entry shown against the one before it', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-', '--force'], {
    stdin: '/a => /b;\n/c => /d;\n',
  })
  await namerd.cli(['dtab', 'update', 'internal', '-', '--force'], {
    stdin: '/a => /b;\n/e => /f;\n',
  })
  const limited = await namerd.cli(['history', 'internal', '--limit', '1'])
  t.equal(limited.code, 0, limited.stderr)
  const full = await namerd.cli(['history', 'internal'])
  t.equal(limited.stdout, `${full.stdout.split(/\n(?=v1 )/)[0]}\n`, 'as the full history shows it')
  t.match(limited.stdout, /- *\/c => \/d/)
  t.match(limited.stdout, /\+ *\/e => \/f/)
  t.notMatch(limited.stdout, /earlier versions|\/a => \/b/)
  const json = await namerd.cli(['history', 'internal', '--limit', '1', '-o', 'json'])
  t.equal((JSON.parse(json.stdout) as unknown[]).length, 1, 'JSON has the entries asked for')
})

t.test(
  '--version on a namespace that does not exist says so, not that the version is unclear',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
    const del = await namerd.cli(['dtab', 'delete', 'nosuch', '--version', 'v1'])
    t.equal(del.code, 1, del.stderr)
    t.match(del.stderr, /^Error: namespace "nosuch" does not exist\n/)
    t.match(del.stderr, 'namespaces that exist: internal')
    t.notMatch(del.stderr, /cannot tell which version/)
    const file = await writeTemp(t, 'x.dtab', DEMO)
    const up = await namerd.cli(['dtab', 'update', 'nosuch', file, '--version', 'v1'])
    t.equal(up.code, 1, up.stderr)
    t.match(up.stderr, /^Error: namespace "nosuch" does not exist\n/)
  },
)

t.test('dtab edit: a file left with no dentries cancels with exit 1', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
  for (const editor of ['truncate -s 0', "sed -i -e 's|^/|# /|'"]) {
    const r = await namerd.cli(['dtab', 'edit', 'internal'], { env: { EDITOR: editor } })
    t.equal(r.code, 1, editor)
    t.equal(r.stdout, '')
    t.match(r.stderr, /^Error: no dentries left; nothing written\n/)
    t.match(r.stderr, 'internal is still at version v1 (AAAAAAAAAAE=).')
    t.match(
      r.stderr,
      'To empty the dtab on purpose: namerctl dtab update internal - --allow-empty </dev/null',
    )
  }
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 1)
})

t.test('a --base-url that is not namerd API root says what is wrong with it', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
  const port = new URL(namerd.base).port
  for (const path of ['/api/1/dtabs', '/api', '/api/v1']) {
    const r = await runCli(['--base-url', `${namerd.base}${path}`, 'dtab', 'get', 'internal'])
    t.equal(r.code, 1, path)
    t.match(
      r.stderr,
      `the base URL ends in ${path}, but namerctl adds /api/1 itself: use --base-url http://127.0.0.1:${port}\n`,
    )
  }

  // The proxy's admin and router ports: their 404 and 502 are not namerd's.
  const dir = await tempDir(t)
  await writeFile(
    join(dir, 'proxy.yaml'),
    `admin: {ip: 127.0.0.1, port: 0}
routers:
  - label: outgoing
    interpreter: {kind: io.l5d.namerd.http, dst: '${namerd.base}', namespace: internal}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
  )
  const proxy = await startProxy(t, 'proxy', join(dir, 'proxy.yaml'))
  for (const p of [proxy.adminPort, proxy.port]) {
    const url = `http://127.0.0.1:${p}`
    const r = await runCli(['--base-url', url, 'dtab', 'get', 'internal'])
    t.equal(r.code, 1, url)
    t.match(r.stderr, `Error: the server at ${url} does not look like namerd (its reply: `)
    t.notMatch(r.stderr, /resource was not found|namespace "internal" does not exist/)
  }
})
