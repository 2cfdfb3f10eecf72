// namerctl's own commands, as scripts written for linkerd/namerctl use them: the same
// commands, aliases, configuration, outputs and error texts.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { fetchDtab, fetchHistory, INTERNAL, tempDir, writeTemp } from './helpers.js'
import { startNamerdWithNames } from './names.js'

t.test('create from stdin, then get prints "# version" and aligned dentries', async (t) => {
  const namerd = await startNamerdWithNames(t)
  const created = await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  t.equal(created.code, 0, created.stderr)
  t.equal(created.stdout, 'Created internal\n')

  const got = await namerd.cli(['dtab', 'get', 'internal'])
  t.equal(got.code, 0)
  t.equal(
    got.stdout,
    [
      '# version AAAAAAAAAAE=',
      '/srv         => /#/io.l5d.k8s/default/http ;',
      '/host        => /srv ;',
      '/tmp         => /srv ;',
      '/svc         => /host ;',
      '/host/world  => /srv/world-v1 ;',
      '',
    ].join('\n'),
  )
  const cat = await namerd.cli(['dtab', 'cat', 'internal', '--pretty=false'])
  t.equal(
    cat.stdout,
    '/srv=>/#/io.l5d.k8s/default/http;/host=>/srv;/tmp=>/srv;/svc=>/host;/host/world=>/srv/world-v1;\n',
  )
})

t.test('get --json prints {"version","dtab"}, and -o yaml the same as YAML', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /b' })
  const json = await namerd.cli(['dtab', 'get', 'ns', '--json'])
  t.equal(json.stdout, '{"version":"AAAAAAAAAAE=","dtab":[{"prefix":"/a","dst":"/b"}]}\n')
  const flagFirst = await namerd.cli(['dtab', '--json', 'get', 'ns'])
  t.equal(flagFirst.stdout, json.stdout)
  const yaml = await namerd.cli(['dtab', 'get', 'ns', '-o', 'yaml'])
  t.equal(yaml.stdout, 'version: AAAAAAAAAAE=\ndtab:\n  - prefix: /a\n    dst: /b\n')
})

t.test('list prints one name per line; ls --json the array; an argument is refused', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'new', 'b', '-'], { stdin: '/a => /b' })
  await namerd.cli(['dtab', 'new', 'a', '-'], { stdin: '/a => /b' })
  t.equal((await namerd.cli(['dtab', 'list'])).stdout, 'a\nb\n')
  t.equal((await namerd.cli(['dtab', 'ls', '--json'])).stdout, '["a","b"]\n')
  const extra = await namerd.cli(['dtab', 'list', 'a'])
  t.equal(extra.code, 2)
  t.match(extra.stderr, /^Error: list does not take arguments/)
})

t.test("update and delete print namerctl's messages; aliases work", async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /b' })
  const file = await writeTemp(t, 'ns.dtab', '/a => /c;\n')
  const up = await namerd.cli(['dtab', 'up', 'ns', file])
  t.equal(up.stdout, 'Updated ns\n')
  t.equal((await fetchDtab(namerd.base, 'ns')).text, '/a=>/c')
  const rm = await namerd.cli(['dtab', 'rm', 'ns'])
  t.equal(rm.code, 0)
  t.equal(rm.stdout, 'Deleted ns\n')
  const del = await namerd.cli(['dtab', 'del', 'ns'])
  t.equal(del.code, 1)
  t.equal(del.stdout, '')
  t.match(del.stderr, /^Error: resource was not found by ID or name\n/)
})

t.test("a missing namespace gives namerctl's not-found text and exit 1", async (t) => {
  const namerd = await startNamerdWithNames(t)
  for (const args of [
    ['dtab', 'get', 'nope'],
    ['dtab', 'update', 'nope', '-', '--version', 'AAAAAAAAAAE='],
  ]) {
    const r = await namerd.cli(args, { stdin: '/a => /b' })
    t.equal(r.code, 1, args.join(' '))
    t.match(
      r.stderr,
      /^Error: resource was not found by ID or name\n {2}namerd: namespace "nope" does not exist/,
    )
  }
})

t.test('create of an existing namespace: unexpected response: 409 Conflict', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /b' })
  const again = await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /b' })
  t.equal(again.code, 1)
  t.match(again.stderr, /^Error: unexpected response: 409 Conflict\n/)
  t.match(again.stderr, /namerctl dtab update/)
})

t.test(
  'JSON input sends its version as If-Match: a stale file gets 412 and changes nothing',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
    const dir = await tempDir(t)
    const file = join(dir, 'internal.json')
    // The pipeline's read-modify-write (namerd-wire.md §7): get --json, set a dst, update --json.
    const got = JSON.parse((await namerd.cli(['dtab', 'get', 'internal', '--json'])).stdout) as {
      version: string
      dtab: { prefix: string; dst: string }[]
    }
    for (const d of got.dtab) if (d.prefix === '/host/world') d.dst = '/tmp/world-v1'
    await writeFile(file, JSON.stringify(got))
    const first = await namerd.cli(['dtab', 'update', 'internal', file, '--json'])
    t.equal(first.code, 0, first.stderr)
    t.equal(first.stdout, 'Updated internal\n')

    const second = await namerd.cli(['dtab', 'update', 'internal', file, '--json'])
    t.equal(second.code, 1)
    t.match(second.stderr, /^Error: unexpected response: 412 Precondition Failed\n/)
    t.match(second.stderr, /someone else changed it/)
    const history = await fetchHistory(namerd.base, 'internal')
    t.equal(history.length, 2, 'the stale update wrote nothing')
    t.equal(history[0]?.op, 'update', 'the JSON update was conditional')
    t.equal(history[0]?.previous, got.version)
  },
)

t.test('text input replaces unconditionally unless --version is given', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /b' })
  const plain = await namerd.cli(['dtab', 'update', 'ns', '-'], { stdin: '/a => /c' })
  t.equal(plain.code, 0)
  t.equal((await fetchHistory(namerd.base, 'ns'))[0]?.op, 'put')
  const stale = await namerd.cli(['dtab', 'update', 'ns', '-', '--version', 'AAAAAAAAAAE='], {
    stdin: '/a => /d',
  })
  t.equal(stale.code, 1)
  t.match(stale.stderr, /unexpected response: 412 Precondition Failed/)
  const ok = await namerd.cli(['dtab', 'update', 'ns', '-', '--version', 'AAAAAAAAAAI='], {
    stdin: '/a => /d',
  })
  t.equal(ok.code, 0, ok.stderr)
  t.equal((await fetchDtab(namerd.base, 'ns')).text, '/a=>/d')
})

t.test('update --dry-run shows the diff and writes nothing', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /b; /c => /d' })
  const r = await namerd.cli(['dtab', 'update', 'ns', '-', '--dry-run'], {
    stdin: '/a => /b; /c => /e',
  })
  t.equal(r.code, 0)
  t.equal(
    r.stdout,
    '--- ns v1 (AAAAAAAAAAE=)\n+++ ns (updated)\n  /a => /b\n- /c => /d\n+ /c => /e\nDry run: nothing written.\n',
  )
  t.equal((await fetchDtab(namerd.base, 'ns')).etag, 'AAAAAAAAAAE=')
})

t.test('a dtab that does not parse is shown with a caret, and nothing is sent', async (t) => {
  const namerd = await startNamerdWithNames(t)
  const r = await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/svc => /host ; /x =>> /y' })
  t.equal(r.code, 1)
  t.equal(
    r.stderr,
    [
      "Error: cannot parse dtab at offset 21: simple expected but '>' found at '/svc => /host ; /x =>[>] /y'",
      '  /svc => /host ; /x =>> /y',
      '                       ^ simple expected here',
      '  nothing was sent. Fix the dtab and run the command again.',
      '',
    ].join('\n'),
  )
  t.equal((await namerd.cli(['dtab', 'list'])).stdout, '\n')
})
