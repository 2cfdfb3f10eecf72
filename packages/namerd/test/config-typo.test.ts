// A typo'd key in namerd.yaml is reported at the key's own line and column, with the known key
// it is nearest to, by the real command (bin/namerd.js --check): it pointed at the object the
// key is in (namers[0] at its first line) and left the user to guess the right spelling.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { NAMERD_BIN, startBin } from './bin-helpers.js'

t.test("a typo'd namer key: its line, and did you mean", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'namerd-typo-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'namerd.yaml')
  await writeFile(
    file,
    'store: memory\nnamers:\n  - kind: io.l5d.fs\n    rootDir: /tmp\n    prefx: /io.l5d.fs\n',
  )
  const { code, stdout, stderr } = await startBin(t, NAMERD_BIN, ['--check', '--config', file])
    .finished
  t.equal(code, 2)
  t.equal(stdout, '')
  t.equal(stderr, `namerd: ${file}:5:5: namers[0]: unknown key "prefx"; did you mean "prefix"?\n`)
})

t.test('a top-level typo names the key namerd knows', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'namerd-typo-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'namerd.yaml')
  await writeFile(file, 'store: memory\nlsiten: 127.0.0.1:4180\n')
  const { code, stderr } = await startBin(t, NAMERD_BIN, ['--check', '--config', file]).finished
  t.equal(code, 2)
  t.equal(
    stderr,
    `namerd: ${file}:2:1: (top level): unknown key "lsiten"; did you mean "listen"?\n`,
  )
})

// A key typed short of a known one (`anonymous` for `anonymousReads`: five edits, too many for a
// typo) is answered with it; and the problems come in the file's order, where zod put the bad
// listen (line 3) before the unknown key (line 2).
t.test("a key typed short gets the known key; problems in the file's order", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'namerd-typo-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'namerd.yaml')
  await writeFile(file, 'auth:\n  anonymous: true\nlisten: nowhere\nstore: memory\n')
  const { code, stderr } = await startBin(t, NAMERD_BIN, ['--check', '--config', file]).finished
  t.equal(code, 2)
  t.match(stderr, `${file}:2:3: auth: unknown key "anonymous"; did you mean "anonymousReads"?`)
  t.ok(stderr.indexOf(`${file}:2:3:`) < stderr.indexOf(`${file}:3:9:`), stderr)
})
