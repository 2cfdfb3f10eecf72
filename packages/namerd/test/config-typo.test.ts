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
