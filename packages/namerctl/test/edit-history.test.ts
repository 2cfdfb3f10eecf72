// `dtab edit` with a scripted $EDITOR, `history` and `rollback`, against a real namerd.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { fetchDtab, fetchHistory, INTERNAL, tempDir } from './helpers.js'
import { startNamerdWithNames } from './names.js'

/**
 * An $EDITOR that replaces FROM with TO in the file; with INTERFERE set, it first writes to
 * namerd itself, as a colleague would while the file is open.
 */
async function fakeEditor(t: Test): Promise<string> {
  const dir = await tempDir(t)
  const script = join(dir, 'editor.mjs')
  await writeFile(
    script,
    `import { readFileSync, writeFileSync } from 'node:fs'
const file = process.argv[2]
const { FROM, TO, INTERFERE } = process.env
if (INTERFERE) {
  const cur = await fetch(INTERFERE, { headers: { accept: 'application/dtab' } })
  const text = (await cur.text()).replace('/host=>/srv', '/host=>/srv-meanwhile')
  await fetch(INTERFERE, { method: 'PUT', headers: { 'content-type': 'application/dtab', 'if-match': cur.headers.get('etag') }, body: text })
}
if (FROM !== undefined) writeFileSync(file, readFileSync(file, 'utf8').replace(FROM, TO ?? ''))
`,
  )
  return `"${process.execPath}" "${script}"`
}

t.test('dtab edit opens $EDITOR, shows the diff and writes with If-Match', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const editor = await fakeEditor(t)
  const r = await namerd.cli(['dtab', 'edit', 'internal'], {
    env: { EDITOR: editor, FROM: '/srv/world-v1', TO: '/tmp/world-v1' },
  })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /- \/host\/world => \/srv\/world-v1\n\+ \/host\/world => \/tmp\/world-v1\n/)
  t.match(r.stdout, /Updated internal \(version v2 \(AAAAAAAAAAI=\)\)\n$/)
  const [latest] = await fetchHistory(namerd.base, 'internal')
  t.equal(latest?.op, 'update')
  t.equal(latest?.previous, 'AAAAAAAAAAE=')
  t.match((await fetchDtab(namerd.base, 'internal')).text, '/host/world=>/tmp/world-v1')
})

t.test('dtab edit with no change cancels and writes nothing', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const editor = await fakeEditor(t)
  const same = await namerd.cli(['dtab', 'edit', 'internal'], { env: { EDITOR: editor } })
  t.equal(same.code, 0)
  t.equal(same.stdout, 'Edit cancelled, no changes made.\n')
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 1)
})

t.test('dtab edit that breaks the syntax shows a caret and keeps the file', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const editor = await fakeEditor(t)
  const r = await namerd.cli(['dtab', 'edit', 'internal'], {
    env: { EDITOR: editor, FROM: '/tmp         =>', TO: '/tmp         =>>' },
  })
  t.equal(r.code, 1)
  t.match(r.stderr, /^Error: cannot parse dtab at line \d+, offset \d+/)
  t.match(r.stderr, /\^ simple expected here/)
  t.match(r.stderr, /your edit is kept in .*internal\.dtab/)
  t.equal((await fetchHistory(namerd.base, 'internal')).length, 1)
})

t.test(
  'dtab edit after someone else wrote: nothing written, and what they changed is shown',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
    const editor = await fakeEditor(t)
    const r = await namerd.cli(['dtab', 'edit', 'internal'], {
      env: {
        EDITOR: editor,
        FROM: '/srv/world-v1',
        TO: '/tmp/world-v1',
        INTERFERE: `${namerd.base}/api/1/dtabs/internal`,
      },
    })
    t.equal(r.code, 1)
    t.match(
      r.stderr,
      /^Error: internal changed while you were editing \(you started from v1 \(AAAAAAAAAAE=\), it is now at v2 \(AAAAAAAAAAI=\)\); nothing was written/,
    )
    t.match(r.stderr, /What changed meanwhile:/)
    t.match(r.stderr, /- \/host {7}=> \/srv\n {2}\+ \/host {7}=> \/srv-meanwhile/)
    t.match(r.stderr, /namerctl dtab update internal .*internal\.dtab --version v2$/m)
    const { text } = await fetchDtab(namerd.base, 'internal')
    t.match(text, '/host=>/srv-meanwhile', "the other writer's change stands")
    t.match(text, '/host/world=>/srv/world-v1', 'the edit was not written')
  },
)

t.test(
  "history lists changes newest first with what each changed; -o json is namerd's",
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
    await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v1'])
    const r = await namerd.cli(['history', 'internal'])
    t.equal(r.code, 0, r.stderr)
    const lines = r.stdout.split('\n')
    t.match(
      lines[0],
      /^v2 \(AAAAAAAAAAI=\) {2}update {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}- {2}\(current\)$/,
    )
    t.equal(lines[1], '    - /host/world => /srv/world-v1')
    t.equal(lines[2], '    + /host/world => /tmp/world-v1')
    t.match(lines[3], /^v1 \(AAAAAAAAAAE=\) {2}create /)
    t.equal(lines[4], '    + /srv => /#/io.l5d.k8s/default/http')
    const json = JSON.parse((await namerd.cli(['history', 'internal', '-o', 'json'])).stdout) as {
      version: string
    }[]
    t.same(
      json.map((e) => e.version),
      ['AAAAAAAAAAI=', 'AAAAAAAAAAE='],
    )
    const limited = JSON.parse(
      (await namerd.cli(['history', 'internal', '--json', '--limit', '1'])).stdout,
    )
    t.equal(limited.length, 1)
  },
)

t.test(
  'rollback restores the version before the current one, as a new compare-and-swap write',
  async (t) => {
    const namerd = await startNamerdWithNames(t)
    await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
    await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v1'])
    await namerd.cli(['shift', 'internal', '/host/world', '/tmp/world-v2=1', '/tmp/world-v1=9'])

    const dry = await namerd.cli(['rollback', 'internal', '--dry-run'])
    t.equal(dry.code, 0)
    t.match(dry.stdout, /\+\+\+ internal v2 \(AAAAAAAAAAI=\)\n/)
    t.match(dry.stdout, /Dry run: nothing written\.\n$/)
    t.equal((await fetchDtab(namerd.base, 'internal')).etag, 'AAAAAAAAAAM=')

    const r = await namerd.cli(['rollback', 'internal'])
    t.equal(r.code, 0, r.stderr)
    t.match(
      r.stdout,
      /- \/host\/world => \/tmp\/world-v2 & 9\.00\*\/tmp\/world-v1\n\+ \/host\/world => \/tmp\/world-v1\n/,
    )
    t.match(
      r.stdout,
      /Rolled back internal to v2 \(AAAAAAAAAAI=\) \(now version v4 \(AAAAAAAAAAQ=\)\)\n$/,
    )
    const [latest] = await fetchHistory(namerd.base, 'internal')
    t.equal(latest?.op, 'update')
    t.equal(latest?.previous, 'AAAAAAAAAAM=')

    const to = await namerd.cli(['rollback', 'internal', '--to', 'AAAAAAAAAAE='])
    t.equal(to.code, 0, to.stderr)
    t.match((await fetchDtab(namerd.base, 'internal')).text, '/host/world=>/srv/world-v1')
  },
)

t.test('rollback refuses what it cannot do, and says why', async (t) => {
  const namerd = await startNamerdWithNames(t)
  await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  const first = await namerd.cli(['rollback', 'internal'])
  t.equal(first.code, 1)
  t.match(first.stderr, /internal has no earlier version: version v1 \(AAAAAAAAAAE=\) created it/)
  const unknown = await namerd.cli(['rollback', 'internal', '--to', 'AAAAAAAAAAk='])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /internal has no version v9 \(AAAAAAAAAAk=\) in its history/)
})
