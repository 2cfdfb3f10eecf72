// docs/namerctl.md's examples, run for real and in page order: every `$ command` of its
// ```console walkthrough reference blocks (and the hidden setup steps in its
// <!-- console walkthrough reference --> comments: the namerd the page's outputs were taken
// from, memory store, io.l5d.fs mounted at /#/io.l5d.k8s/default/http, with world-v1 at
// 10.0.0.5 and 10.0.0.6 and world-v2 at 10.0.1.7), in one bash, against that namerd; each must
// exit as the page says (`# exit 1`) and print what the page shows (transcript.ts says how).
// The page's port 4180 becomes a free one.
//
// Not run, and why: "Installing" (test/docs/namerctl-install.test.ts runs it); `dtab delete` on
// a terminal and `dtab edit` (they need a terminal and an editor; packages/namerctl's
// safe-writes and edit tests run them); `status` with proxies watching (needs watch streams
// that stay open: packages/namerctl's status tests); the blue-green pipeline script and its
// Jenkins and GitHub Actions wrappers (they need Kubernetes, kubectl and a CI system).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../e2e/processes.js'
import { DOC_PATH, localPorts, runSteps, Shell } from './shell.js'
import { walkthroughSteps } from './transcript.js'

const PAGE = readFileSync(join(ROOT, 'docs/namerctl.md'), 'utf8')
const steps = walkthroughSteps(PAGE, 'reference')

t.test('the examples cover the commands the page documents', async (t) => {
  const commands = steps.map((s) => s.command)
  for (const prefix of [
    'namerctl dtab create internal internal.dtab',
    'namerctl dtab list',
    'namerctl dtab get internal --json',
    'namerctl dtab update internal internal.json',
    'namerctl shift internal /host/world /tmp/world-v2=10',
    'namerctl shift internal /host/wrold',
    'namerctl history internal',
    'namerctl rollback internal',
    'namerctl delegate internal /svc/world',
  ]) {
    t.ok(
      commands.some((c) => c.startsWith(prefix)),
      prefix,
    )
  }
  t.ok(
    steps.some((s) => s.status === 1),
    'refusals, with their exit status',
  )
})

t.test('every example of docs/namerctl.md prints what the page shows', async (t) => {
  const shell = new Shell(ROOT, { ...process.env, PATH: DOC_PATH })
  t.teardown(() => shell.kill())
  await runSteps(t, shell, steps, {
    local: await localPorts(['4180']),
    onFailure: 'tail -n 20 namerd.log',
  })
  await shell.run('kill $(jobs -p)', 5_000)
})
