// The config files docs/proxy.md, docs/namerd.md and docs/rollouts.md show as complete examples (```yaml check
// <program> blocks) load: each is written to a temporary folder and checked by its program's
// --check, as a user would before starting it; exit 0 or the test shows what the program said.
// A directory a config names as an io.l5d.fs rootDir is made first (the page assumes it
// exists; --check verifies it does). Fragments (a key or two of a larger file) and
// Kubernetes manifests are not marked; test/deploy checks deploy/'s configs. Nor is namerd.md's
// "Configuration reference" file: its tokens are placeholders ("<at least 16 characters>")
// that namerd rightly refuses, and a real-looking token there would be copied into real files.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../e2e/processes.js'
import { configBlocks } from './transcript.js'

/** Each program, and what its --check prints for a config it can run with. */
const PROGRAMS: Record<string, { bin: string; ok: RegExp }> = {
  namerd: { bin: join(ROOT, 'packages/namerd/bin/namerd.js'), ok: /^namerd: configuration OK$/m },
  'switchyard-proxy': {
    bin: join(ROOT, 'packages/proxy/bin/switchyard-proxy.js'),
    ok: /config\.yaml: valid$/m,
  },
}

for (const page of ['docs/proxy.md', 'docs/namerd.md', 'docs/rollouts.md']) {
  const blocks = configBlocks(readFileSync(join(ROOT, page), 'utf8'))
  t.test(`${page} marks its complete config examples`, async (t) => {
    t.ok(blocks.length > 0, 'at least one')
  })
  for (const block of blocks) {
    t.test(`${page}:${block.line}: ${block.program} --check loads it`, async (t) => {
      const program = PROGRAMS[block.program]
      t.ok(program, `a program the test knows: ${block.program}`)
      if (program === undefined) return
      const dir = mkdtempSync(join(tmpdir(), 'config-block-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      for (const m of block.text.matchAll(/rootDir:\s*([\w./-]+)/g)) {
        mkdirSync(join(dir, m[1]!), { recursive: true })
      }
      writeFileSync(join(dir, 'config.yaml'), block.text)
      const run = spawnSync(process.execPath, [program.bin, '--check', '--config', 'config.yaml'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig') },
        timeout: 20_000,
      })
      t.equal(run.status, 0, `exits 0\n${run.stdout}${run.stderr}`)
      t.match(run.stdout, program.ok, 'says the config is usable')
    })
  }
}
