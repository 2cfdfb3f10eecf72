// `namerctl history` shows who started a rollout and why: the start is the rollout's first
// event (`started by <who>: <reason>`), there as soon as the start is accepted (whether the
// controller has shifted anything yet or not: with no proxies it waits for metrics). The
// reason in the first step's dtab write is rollouts-writer.test.ts's. Against a real namerd
// (file store, io.l5d.fs namer).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { startNamerd, tempDir } from './helpers.js'

const DTAB = `/srv        => /#/io.l5d.fs;
/host       => /srv;
/host/world => /srv/world-v1;
`

t.test('history shows the rollout started, by whom and why', async (t) => {
  const dir = await tempDir(t, 'namerctl-rollout-history-')
  const disco = join(dir, 'disco')
  await mkdir(disco)
  for (const name of ['world-v1', 'world-v2']) {
    await writeFile(join(disco, name), '10.0.0.5 8080\n')
  }
  await writeFile(
    join(dir, 'namerd.yaml'),
    [
      `store: ${JSON.stringify(`file:${join(dir, 'store')}`)}`,
      'namers:',
      `  - {kind: io.l5d.fs, rootDir: ${JSON.stringify(disco)}}`,
      '',
    ].join('\n'),
  )
  const namerd = await startNamerd(t, ['--config', join(dir, 'namerd.yaml')])
  t.equal((await namerd.cli(['dtab', 'create', 'internal', '-'], { stdin: DTAB })).code, 0)
  const started = await namerd.cli([
    'rollout',
    'start',
    'internal',
    '/host/world',
    '--to',
    '/srv/world-v2',
    '--reason',
    'build #512',
  ])
  t.equal(started.code, 0, started.stderr)
  const text = await namerd.cli(['history', 'internal'])
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, /rollout [a-z0-9-]+: started .* anonymous: started by anonymous: build #512/)

  const json = await namerd.cli(['history', 'internal', '--rollouts', '-o', 'json'])
  t.equal(json.code, 0, json.stderr)
  const entries = JSON.parse(json.stdout) as { op: string; event?: { why: string } }[]
  const start = entries.find((e) => e.op === 'rollout' && e.event?.why.startsWith('started by'))
  t.equal(start?.event?.why, 'started by anonymous: build #512')
})
