// docs/namerd.md's "A blue-green rollout with curl", run for real: every `$ command` of its
// ```console walkthrough blue-green blocks, in one bash, in order, in the temporary folder the
// walkthrough makes, against the namerd it starts (file store, an io.l5d.fs namer mounted where
// the dtab expects the Kubernetes namer); each must exit as the page says and print what the
// page shows (transcript.ts says how). The page's port 4180 becomes a free one.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../e2e/processes.js'
import { DOC_PATH, localPorts, runSteps, Shell } from './shell.js'
import { walkthroughSteps } from './transcript.js'

const PAGE = readFileSync(join(ROOT, 'docs/namerd.md'), 'utf8')
const steps = walkthroughSteps(PAGE, 'blue-green')

t.test('the walkthrough starts namerd, writes with If-Match, and restores', async (t) => {
  const commands = steps.map((s) => s.command)
  t.ok(
    commands.some((c) => /^namerd --config/.test(c)),
    'starts namerd',
  )
  t.ok(
    commands.some((c) => /If-Match: AAAAAAAAAAI=' --data-binary @step1/.test(c)),
    'a stale write',
  )
  t.ok(
    commands.some((c) => /\/restore$/.test(c)),
    'a restore',
  )
})

t.test('every command of the walkthrough prints what docs/namerd.md shows', async (t) => {
  const shell = new Shell(ROOT, { ...process.env, PATH: DOC_PATH })
  t.teardown(() => shell.kill())
  await runSteps(t, shell, steps, {
    local: await localPorts(['4180']),
    onFailure: 'tail -n 20 namerd.log',
  })
  await shell.run('kill $(jobs -p)', 5_000)
})
