// docs/dashboard.md's worked example, run for real: every `$ command` of its ```console
// walkthrough dashboard blocks, in one bash, in order, from the checkout, against the programs
// it starts (namerd on a file store, two world backends, a proxy naming its admin address):
// the page is served to a browser and the index to curl, and after a 10% shift and 1,000
// requests GET /api/1/traffic measures about 900 and 100 beside the expected 0.9 and 0.1. Each
// command must exit as the page says and print what it shows (transcript.ts says how). The
// page's well-known ports become free ones, so the test can run beside others.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../e2e/processes.js'
import { localPorts, runSteps, Shell } from './shell.js'
import { walkthroughSteps } from './transcript.js'

const PAGE = readFileSync(join(ROOT, 'docs/dashboard.md'), 'utf8')
const steps = walkthroughSteps(PAGE, 'dashboard')
const hasCurl = spawnSync('curl', ['--version']).status === 0

t.test('the worked example serves the page, shifts 10% and reads the traffic', async (t) => {
  const commands = steps.map((s) => s.command)
  t.ok(
    commands.some((c) => /^namerd /.test(c)),
    'starts namerd',
  )
  t.ok(
    commands.some((c) => /^switchyard-proxy /.test(c)),
    'starts a proxy',
  )
  t.ok(
    commands.some((c) => /Accept: text\/html/.test(c)),
    'asks for the page as a browser',
  )
  t.ok(
    commands.some((c) => /^namerctl shift .*=10 /.test(c)),
    'a 10% shift',
  )
  t.ok(
    commands.some((c) => /\/api\/1\/traffic\/internal\?path=\/svc\/world&window=30/.test(c)),
    'reads the traffic',
  )
})

t.test(
  'every command of the worked example prints what docs/dashboard.md shows',
  // CI installs curl (.ci/run): there, its absence fails the test instead of skipping it.
  { skip: hasCurl || process.env.CI === 'true' ? false : 'curl is not installed' },
  async (t) => {
    const local = await localPorts(['4180', '4140', '9990', '8081', '8082'])
    const shell = new Shell()
    t.teardown(() => shell.kill())
    await runSteps(t, shell, steps, {
      local,
      // The programs' logs say why; later steps would only fail after this one.
      onFailure: 'tail -n 20 $DASH/*.log',
    })
  },
)
