// A typo never looks like success: namerctl, run as a process against a real namerd whose fs
// namer knows world-v1 (2 endpoints), world-v2 (1) and world-empty (none), refuses a shift of a
// prefix no dentry has, and any write whose new destination does not resolve; and asks before
// a delete on a terminal.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { fetchDtab, fetchHistory, INTERNAL, NAMERCTL_BIN, ROOT, tempDir } from './helpers.js'
import { DEMO, startNamerdWithNames } from './names.js'

const WORLD_V3_TREE = [
  '/tmp/world-v3',
  '└─ /srv/world-v3  via /tmp=>/srv',
  '   └─ /#/io.l5d.fs/world-v3  via /srv=>/#/io.l5d.fs  ~ neg: no route here',
]

async function demo(t: Test) {
  const namerd = await startNamerdWithNames(t)
  const created = await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
  t.equal(created.code, 0, created.stderr)
  return namerd
}

t.test(
  'shift of a prefix no dentry has: exit 1, the nearest prefix, nothing written',
  async (t) => {
    const namerd = await demo(t)
    const r = await namerd.cli(['shift', 'internal', '/host/wrold', '/tmp/world-v2'])
    t.equal(r.code, 1)
    t.equal(r.stdout, '')
    t.equal(
      r.stderr,
      [
        'Error: no dentry in internal has the prefix /host/wrold; nothing was written',
        '  The nearest is /host/world (did you mean it?)',
        '  The dentries of internal:',
        '    /srv         => /#/io.l5d.fs ;',
        '    /host        => /srv ;',
        '    /tmp         => /srv ;',
        '    /svc         => /host ;',
        '    /host/world  => /srv/world-v1 ;',
        '  To add a dentry for /host/wrold on purpose, run the same command with --create.',
        '',
      ].join('\n'),
    )
    t.equal((await fetchHistory(namerd.base, 'internal')).length, 1, 'nothing written')

    const created = await namerd.cli([
      'shift',
      'internal',
      '/host/hello',
      '/tmp/world-v2',
      '--create',
    ])
    t.equal(created.code, 0, created.stderr)
    t.match(created.stdout, /^No dentry with prefix \/host\/hello in internal; appending one/)
    t.match((await fetchDtab(namerd.base, 'internal')).text, /;\/host\/hello=>\/tmp\/world-v2$/)
  },
)

t.test('shift to a name that does not resolve: exit 1, the delegation shown', async (t) => {
  const namerd = await demo(t)
  for (const dsts of [['/tmp/world-v3'], ['/tmp/world-v2=10', '/tmp/world-v3=90']]) {
    const r = await namerd.cli(['shift', 'internal', '/host/world', ...dsts])
    t.equal(r.code, 1, dsts.join(' '))
    t.equal(r.stdout, '')
    t.match(
      r.stderr,
      /^Error: \/host\/world => .*\/tmp\/world-v3 in internal would route to a destination that does not resolve; nothing was written\n/,
    )
    t.match(r.stderr, '  /tmp/world-v3 does not resolve: neg: no dentry or namer binds it\n')
    t.match(r.stderr, WORLD_V3_TREE.map((l) => `      ${l}`).join('\n'))
    t.match(r.stderr, /--force writes it anyway\.\n$/)
  }
  const dry = await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v3', '--dry-run'])
  t.equal(dry.code, 1, 'a dry run says the write would be refused')
  t.match(dry.stderr, /the write would be refused/)
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 1, 'nothing written')

  const forced = await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v3', '--force'])
  t.equal(forced.code, 0, forced.stderr)
  t.match(
    forced.stderr,
    /^Warning: writing \/host\/world => \/tmp\/world-v3 in internal although it does not resolve \(--force\)\n/,
  )
  t.match(forced.stdout, /\nShifted \/host\/world in internal: \/srv\/world-v1 -> \/tmp\/world-v3 /)
  t.match((await fetchDtab(namerd.base, 'internal')).text, /;\/host\/world=>\/tmp\/world-v3$/)
})

t.test('a shift prints what each destination resolves to', async (t) => {
  const namerd = await demo(t)
  const r = await namerd.cli([
    'shift',
    'internal',
    '/host/world',
    '/tmp/world-v2=1',
    '/tmp/world-v1=9',
  ])
  t.equal(r.code, 0, r.stderr)
  t.match(
    r.stdout,
    [
      '+ /host/world => /tmp/world-v2 & 9.00*/tmp/world-v1',
      '/tmp/world-v2 => /#/io.l5d.fs/world-v2 (1 endpoint)',
      '/tmp/world-v1 => /#/io.l5d.fs/world-v1 (2 endpoints)',
      'Shifted /host/world in internal',
    ].join('\n'),
  )
})

t.test('a name that binds no endpoints is refused like a negative one', async (t) => {
  const namerd = await demo(t)
  const r = await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-empty'])
  t.equal(r.code, 1)
  t.match(
    r.stderr,
    '/tmp/world-empty does not resolve: /#/io.l5d.fs/world-empty binds no endpoints',
  )
  t.match(r.stderr, '└─ /#/io.l5d.fs/world-empty  via /srv=>/#/io.l5d.fs  → bound: no endpoints')
})

t.test('an alt needs the member it would use; its unused fallback may be negative', async (t) => {
  const namerd = await demo(t)
  for (const dst of ['/srv/world-v3 | /srv/world-v2', '/srv/world-v2 | /srv/world-v3']) {
    const r = await namerd.cli(['dtab', 'update', 'internal', '-'], {
      stdin: DEMO.replace('/srv/world-v1', dst),
    })
    t.equal(r.code, 0, `${dst}: ${r.stderr}`)
    t.match(r.stderr, '/srv/world-v2 => /#/io.l5d.fs/world-v2 (1 endpoint)')
    t.match(r.stderr, /\/srv\/world-v3 => does not resolve: .* \(not needed: the alt resolves\)/)
  }
  const emptyFirst = await namerd.cli(['dtab', 'update', 'internal', '-'], {
    stdin: DEMO.replace('/srv/world-v1', '/srv/world-empty | /srv/world-v2'),
  })
  t.equal(emptyFirst.code, 1, 'a bound name with no endpoints is used by the alt: refused')
  t.match(emptyFirst.stderr, /binds no endpoints/)
})

t.test(
  'dtab create checks the dtab being created; prefixes are listed as not checked',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    const typo = await namerd.cli(['dtab', 'create', 'internal', '-'], {
      stdin: DEMO.replace('/srv/world-v1', '/srv/wrold-v1'),
    })
    t.equal(typo.code, 1)
    t.match(
      typo.stderr,
      /^Error: \/host\/world => \/srv\/wrold-v1 in internal would route to a destination that does not resolve; nothing was written\n/,
    )
    t.match(typo.stderr, '└─ /#/io.l5d.fs/wrold-v1  via /srv=>/#/io.l5d.fs  ~ neg: no route here')
    const missing = await fetch(`${namerd.base}/api/1/dtabs/internal`)
    t.equal(missing.status, 404, 'not created')

    const ok = await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
    t.equal(ok.code, 0, ok.stderr)
    t.equal(ok.stdout, 'Created internal\n', "namerctl's output, alone on stdout")
    t.equal(
      ok.stderr,
      '/srv/world-v1 => /#/io.l5d.fs/world-v1 (2 endpoints)\nNot checked (prefixes that requests complete): /srv, /host, /tmp, /svc\n',
    )

    const forced = await namerd.cli(['dtab', 'create', 'other', '-', '--force'], {
      stdin: '/svc/world => /#/io.l5d.fs/world-v3',
    })
    t.equal(forced.code, 0, forced.stderr)
    t.match(forced.stderr, /^Warning: writing \/svc\/world => \/#\/io\.l5d\.fs\/world-v3 in other/)
    t.equal((await fetchDtab(namerd.base, 'other')).text, '/svc/world=>/#/io.l5d.fs/world-v3')
  },
)

t.test('dtab update checks only the dentries it changes', async (t) => {
  const namerd = await startNamerdWithNames(t)
  // INTERNAL on a namerd with no route for /host/hello's name: written with --force.
  const withHello = `${INTERNAL}/host/hello => /srv/hello-v9;\n`
  const forced = await namerd.cli(['dtab', 'create', 'internal', '-', '--force'], {
    stdin: withHello,
  })
  t.equal(forced.code, 0, forced.stderr)
  const moved = await namerd.cli(['dtab', 'update', 'internal', '-'], {
    stdin: withHello.replace('/srv/world-v1', '/srv/world-v2'),
  })
  t.equal(moved.code, 0, 'the unresolved /host/hello is not the change')
  t.equal(moved.stderr, '/srv/world-v2 => /#/io.l5d.k8s/default/http/world-v2 (1 endpoint)\n')
  const typo = await namerd.cli(['dtab', 'update', 'internal', '-', '--dry-run'], {
    stdin: withHello.replace('/srv/world-v1', '/srv/world-v3'),
  })
  t.equal(typo.code, 1)
  t.match(
    typo.stderr,
    /\/host\/world => \/srv\/world-v3 in internal would route to a destination that does not resolve; the write would be refused/,
  )
  const real = await namerd.cli(['dtab', 'update', 'internal', '-'], {
    stdin: withHello.replace('/srv/world-v1', '/srv/world-v3'),
  })
  t.equal(real.code, 1)
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 2, 'the typo was not written')
})

t.test('dtab edit to a name that does not resolve writes nothing and keeps the edit', async (t) => {
  const namerd = await demo(t)
  const dir = await tempDir(t)
  const editor = join(dir, 'editor.mjs')
  await writeFile(
    editor,
    `import { readFileSync, writeFileSync } from 'node:fs'
const file = process.argv[2]
writeFileSync(file, readFileSync(file, 'utf8').replace('/srv/world-v1', '/srv/world-v3'))
`,
  )
  const r = await namerd.cli(['dtab', 'edit', 'internal'], {
    env: { EDITOR: `"${process.execPath}" "${editor}"` },
  })
  t.equal(r.code, 1)
  t.match(r.stdout, '+ /host/world => /srv/world-v3')
  t.match(
    r.stderr,
    /in internal would route to a destination that does not resolve; nothing was written/,
  )
  t.match(r.stderr, '└─ /#/io.l5d.fs/world-v3  via /srv=>/#/io.l5d.fs  ~ neg: no route here')
  t.match(r.stderr, /Your edit is kept in \S+internal\.dtab; to write it as it is:/)
  t.match(r.stderr, /namerctl dtab update internal \S+ --version v1 --force/)
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 1, 'nothing written')
})

// The confirmation needs a terminal: util-linux's `script` runs namerctl on a pseudo-terminal.
const hasScript = await new Promise<boolean>((resolve) => {
  const child = spawn('script', ['--version'], { stdio: 'ignore' })
  child.once('error', () => resolve(false))
  child.once('exit', (code) => resolve(code === 0))
})

/** namerctl on a pseudo-terminal; `answer` is typed once the question shows. */
function onTerminal(
  base: string,
  args: readonly string[],
  answer: string | null,
): Promise<{ code: number | null; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const command = [process.execPath, NAMERCTL_BIN, ...args].map(quote).join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, NAMERCTL_BASE_URL: base, NO_COLOR: '1', TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  let answered = false
  const onData = (d: Buffer) => {
    output += d.toString()
    if (answer !== null && !answered && output.includes('[y/N] ')) {
      answered = true
      child.stdin.write(`${answer}\r`)
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  return new Promise((resolve) =>
    child.once('close', (code) => resolve({ code, output: output.replace(/\r\n/g, '\n') })),
  )
}

t.test(
  'dtab delete on a terminal asks first; anything but yes deletes nothing',
  { skip: hasScript ? false : 'util-linux script is not installed' },
  async (t) => {
    const namerd = await demo(t)
    const no = await onTerminal(namerd.base, ['dtab', 'delete', 'internal'], 'n')
    t.equal(no.code, 1, no.output)
    t.match(no.output, '# internal at version v1 (AAAAAAAAAAE=)\n/srv         => /#/io.l5d.fs ;')
    t.match(
      no.output,
      'Delete the dtab of internal? Routers that watch it lose these routes. [y/N] ',
    )
    t.match(no.output, 'Error: not confirmed; nothing deleted')
    t.equal((await fetch(`${namerd.base}/api/1/dtabs/internal`)).status, 200, 'still there')

    const yes = await onTerminal(namerd.base, ['dtab', 'delete', 'internal'], 'y')
    t.equal(yes.code, 0, yes.output)
    t.match(yes.output, /\[y\/N\] [\s\S]*Deleted internal/)
    t.equal((await fetch(`${namerd.base}/api/1/dtabs/internal`)).status, 404, 'deleted')

    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DEMO })
    const flag = await onTerminal(namerd.base, ['dtab', 'rm', 'internal', '-y'], null)
    t.equal(flag.code, 0, flag.output)
    t.notMatch(flag.output, '[y/N]', '--yes: no question')
    t.match(flag.output, 'Deleted internal')
  },
)

t.test('dtab delete without a terminal deletes without asking, as namerctl did', async (t) => {
  const namerd = await demo(t)
  const r = await namerd.cli(['dtab', 'delete', 'internal'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'Deleted internal\n')
  t.equal((await fetch(`${namerd.base}/api/1/dtabs/internal`)).status, 404)
})
