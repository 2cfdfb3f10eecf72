// Mistakes that namerctl let pass, or reported as something else (issue 13, "a mistake is never
// silent"), each run as a user meets it: namerctl as a process against a real namerd.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { fetchDtab, fetchHistory, runCli, tempDir, writeTemp } from './helpers.js'
import { DEMO, startNamerdWithNames } from './names.js'

/** DEMO with /host/world sent to world-v2: another dtab whose names resolve. */
const DEMO_V2 = DEMO.replace('/srv/world-v1', '/srv/world-v2')

t.test('an empty dtab is refused by update and create, unless --allow-empty', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })

  const empty = await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: '' })
  t.equal(empty.code, 1)
  t.equal(empty.stdout, '')
  t.match(empty.stderr, /^Error: the dtab from standard input has no dentries; nothing written\n/)
  t.match(empty.stderr, 'routers watching internal would lose these routes:')
  t.match(empty.stderr, '    /host/world  => /srv/world-v1 ;', 'what would be removed is shown')
  t.match(empty.stderr, '--allow-empty')

  const comments = await writeTemp(t, 'internal.dtab', '# all routes\n# go here\n\n')
  const commented = await namerd.cli(['dtab', 'update', 'internal', comments])
  t.equal(commented.code, 1)
  t.match(commented.stderr, /^Error: the dtab from \S+internal\.dtab has no dentries/)
  const json = await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: '[]' })
  t.equal(json.code, 1, 'JSON with no dentries too')
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 1, 'nothing was written')

  const create = await namerd.cli(['dtab', 'create', 'other', '-'], { stdin: '' })
  t.equal(create.code, 1)
  t.match(create.stderr, /^Error: the dtab from standard input has no dentries; nothing written\n/)
  t.equal((await fetch(`${namerd.base}/api/1/dtabs/other`)).status, 404, 'not created')

  // An empty dtab on purpose stays possible, as it was with namerd and namerctl.
  const meant = await namerd.cli(['dtab', 'update', 'internal', '-', '--allow-empty'], {
    stdin: '',
  })
  t.equal(meant.code, 0, meant.stderr)
  t.equal((await fetchDtab(namerd.base, 'internal')).text, '')
  const created = await namerd.cli(['dtab', 'create', 'other', '-', '--allow-empty'], {
    stdin: '',
  })
  t.equal(created.code, 0, created.stderr)
  t.equal(created.stdout, 'Created other\n')

  // `history --limit` diffs the oldest entry shown against the version before it, off the page:
  // the emptying removed every dentry.
  const limited = await namerd.cli(['history', 'internal', '--limit', '1'])
  t.equal(limited.code, 0, limited.stderr)
  const lines = limited.stdout.split('\n').slice(1)
  t.equal(lines.length, DEMO.trim().split('\n').length + 1, 'one line per dentry removed')
  t.match(lines[0], /^ +- +\/srv +=> \/#\/io\.l5d\.fs/)
  t.notMatch(limited.stdout, /earlier versions/)
})

t.test(
  'dtab edit: an emptied file cancels (exit 1), and says how to empty the dtab on purpose',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
    const r = await namerd.cli(['dtab', 'edit', 'internal'], { env: { EDITOR: 'truncate -s 0' } })
    t.equal(r.code, 1, r.stderr)
    t.equal(r.stdout, '')
    t.match(r.stderr, /^Error: no dentries left; nothing written\n/)
    t.match(
      r.stderr,
      'To empty the dtab on purpose: namerctl dtab update internal - --allow-empty </dev/null\n',
    )
    t.equal((await fetchHistory(namerd.base, 'internal')).length, 1)
  },
)

t.test('--version takes v<N> or an ETag; anything else is a usage error, not a 412', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
  await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: DEMO_V2 })
  await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: DEMO })
  const writes = async () => (await fetchHistory(namerd.base, 'internal')).length
  t.equal(await writes(), 3, 'internal is at v3')
  const file = await writeTemp(t, 'internal.dtab', DEMO_V2)

  for (const bad of ['3', 'v 3', 'v3.0']) {
    const r = await namerd.cli(['dtab', 'update', 'internal', file, '--version', bad])
    t.equal(r.code, 2, bad)
    t.match(r.stderr, `Error: --version ${JSON.stringify(bad)} is not a version\n`)
    t.match(r.stderr, 'give the short form v<N> (e.g. v6) or the ETag (e.g. AAAAAAAAAAY=)')
    t.notMatch(r.stderr, /412|changed since/)
  }
  // Base64, so the form of an ETag, but never a version of internal: not a conflict either.
  const typo = await namerd.cli(['dtab', 'update', 'internal', file, '--version', 'version3'])
  t.equal(typo.code, 1)
  t.match(
    typo.stderr,
    /^Error: internal has no version version3 in its history; nothing was written\n/,
  )
  t.match(typo.stderr, 'internal is at v3 (AAAAAAAAAAM=)')
  t.notMatch(typo.stderr, /412|changed since|someone/i)
  const beyond = await namerd.cli(['dtab', 'update', 'internal', file, '--version', 'v99'])
  t.equal(beyond.code, 1)
  t.match(beyond.stderr, /^Error: internal has no version v99; nothing was written\n/)
  t.match(beyond.stderr, 'internal is at v3 (AAAAAAAAAAM=)')
  t.notMatch(beyond.stderr, /412|changed since|someone/)
  t.equal(await writes(), 3)

  const dryStale = await namerd.cli([
    'dtab',
    'update',
    'internal',
    file,
    '--version',
    'v1',
    '--dry-run',
  ])
  t.equal(dryStale.code, 1, 'a dry run of a write that would be refused fails')
  t.match(dryStale.stdout, /^--- internal v3 \(AAAAAAAAAAM=\)\n/)
  t.match(
    dryStale.stderr,
    'Error: the update would fail with 412: it is based on version v1 (AAAAAAAAAAE=), but internal is at v3 (AAAAAAAAAAM=)\n',
  )
  const dryCurrent = await namerd.cli([
    'dtab',
    'update',
    'internal',
    file,
    '--version',
    'V3',
    '--dry-run',
  ])
  t.notMatch(dryCurrent.stdout, /would fail/, 'V3 is the current version, as parsed')

  const stale = await namerd.cli(['dtab', 'update', 'internal', file, '--version', 'v1'])
  t.equal(stale.code, 1)
  t.match(stale.stderr, /^Error: unexpected response: 412 Precondition Failed\n/)
  t.match(
    stale.stderr,
    'internal is no longer at version v1 (AAAAAAAAAAE=) (--version); it is at v3 (AAAAAAAAAAM=). Nothing was written.',
  )
  t.equal(await writes(), 3)

  const current = await namerd.cli(['dtab', 'update', 'internal', file, '--version', 'V3'])
  t.equal(current.code, 0, current.stderr)
  t.equal(current.stdout, 'Updated internal\n')
  t.equal((await fetchHistory(namerd.base, 'internal'))[0]?.previous, 'AAAAAAAAAAM=')

  const delBad = await namerd.cli(['dtab', 'delete', 'internal', '--version', '4', '--yes'])
  t.equal(delBad.code, 2)
  t.match(delBad.stderr, 'Error: --version "4" is not a version\n')
  const delStale = await namerd.cli(['dtab', 'delete', 'internal', '--version', 'v1', '--yes'])
  t.equal(delStale.code, 1)
  t.match(delStale.stderr, 'internal is no longer at version v1 (AAAAAAAAAAE=)')
  t.equal((await fetch(`${namerd.base}/api/1/dtabs/internal`)).status, 200, 'not deleted')
  const del = await namerd.cli(['dtab', 'delete', 'internal', '--version', 'v4', '--yes'])
  t.equal(del.code, 0, del.stderr)
  t.equal(del.stdout, 'Deleted internal\n')
})

t.test('shift and dtab edit show versions short, and edit suggests --version v<N>', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
  const shift = await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v2'])
  t.equal(shift.code, 0, shift.stderr)
  t.match(shift.stdout, /^--- internal v1 \(AAAAAAAAAAE=\)\n\+\+\+ internal v2 \(AAAAAAAAAAI=\)\n/)
  t.match(
    shift.stdout,
    'Shifted /host/world in internal: /srv/world-v1 -> /tmp/world-v2 (version v1 (AAAAAAAAAAE=) -> v2 (AAAAAAAAAAI=))\n',
  )
  const same = await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v2'])
  t.equal(
    same.stdout,
    'No change: /host/world in internal already goes to /tmp/world-v2 (version v2 (AAAAAAAAAAI=)).\n',
  )
  const dry = await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v1', '--dry-run'])
  t.match(dry.stdout, /^--- internal v2 \(AAAAAAAAAAI=\)\n\+\+\+ internal \(after shift\)\n/)

  // An editor that keeps a copy of what it was given, and one that breaks the syntax.
  const dir = await tempDir(t)
  const copy = join(dir, 'seen.dtab')
  const look = await namerd.cli(['dtab', 'edit', 'internal'], {
    env: { EDITOR: `sh -c 'cp "$0" ${copy}'` },
  })
  t.equal(look.stdout, 'Edit cancelled, no changes made.\n')
  t.match(
    await readFile(copy, 'utf8'),
    /^# Editing the dtab of namespace internal at version v2 \(AAAAAAAAAAI=\) \(http/,
  )
  const broken = await namerd.cli(['dtab', 'edit', 'internal'], {
    env: { EDITOR: `sh -c 'echo "/x =>> /y;" >> "$0"'` },
  })
  t.equal(broken.code, 1)
  t.match(
    broken.stderr,
    /apply it with: namerctl dtab update internal \S+internal\.dtab --version v2\n/,
  )
})

t.test(
  'a syntax error in a multi-line dtab does not quote the whole file in its first line',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    const r = await namerd.cli(['dtab', 'create', 'ns', '-'], {
      stdin: '/srv => /#/io.l5d.fs;\n/host => /srv;\n/svc =>> /host;\n',
    })
    t.equal(r.code, 1)
    t.equal(
      r.stderr,
      [
        "Error: cannot parse dtab at line 3, offset 44: simple expected but '>' found",
        '  /svc =>> /host;',
        '         ^ simple expected here',
        '  nothing was sent. Fix the dtab and run the command again.',
        '',
      ].join('\n'),
    )
  },
)

t.test(
  'history --limit: the oldest entry shown is diffed against the version before it',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-', '--force'], {
      stdin: '/a => /b;\n/c => /d;\n',
    })
    await namerd.cli(['dtab', 'update', 'internal', '-', '--force'], { stdin: '/a => /b;\n' })
    const r = await namerd.cli(['history', 'internal', '--limit', '1'])
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.split('\n').slice(1), ['    - /c => /d', ''])
  },
)

t.test('messages that name the mistake: base URL, editor, version, namespace', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
  await namerd.cli(['dtab', 'update', 'internal', '-'], { stdin: DEMO_V2 })
  const port = new URL(namerd.base).port

  const api = await runCli(['--base-url', `${namerd.base}/api/1`, 'dtab', 'list'])
  t.equal(api.code, 1)
  t.match(api.stderr, 'no such route: GET /api/1/api/1/dtabs')
  t.match(
    api.stderr,
    `the base URL ends in /api/1, which namerctl adds itself: use --base-url http://127.0.0.1:${port}\n`,
  )

  const tls = await runCli(['--base-url', `https://127.0.0.1:${port}`, 'dtab', 'list'])
  t.equal(tls.code, 1)
  t.match(
    tls.stderr,
    `Error: namerd at https://127.0.0.1:${port} does not speak TLS; use http://\n`,
  )
  t.notMatch(tls.stderr, /SSL routines|wrong version/)

  const editor = await namerd.cli(['dtab', 'edit', 'internal'], {
    env: { EDITOR: 'nosucheditor' },
  })
  t.equal(editor.code, 1)
  t.match(
    editor.stderr,
    'Error: the editor command "nosucheditor" was not found; nothing was written',
  )
  t.notMatch(editor.stderr, /waits until the file is closed/)

  const v0 = await namerd.cli(['rollback', 'internal', '--to', 'v0'])
  t.equal(v0.code, 2)
  t.match(v0.stderr, /^Error: there is no version v0\n {2}the versions known: v2, v1\n/)

  const bad = await namerd.cli(['dtab', 'create', 'bad ns', '-'], { stdin: DEMO })
  t.equal(bad.code, 1)
  t.match(bad.stderr, 'invalid namespace "bad ns"')
  t.notMatch(bad.stderr, /%20/)
})
