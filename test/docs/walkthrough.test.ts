// The README's walkthrough ("By hand: the blue-green flow in one terminal"), run for real: every
// `$ command` of its ```console walkthrough blocks, in one bash, in order, from the checkout,
// against real programs it starts itself (namerd on a file store, two world backends, a
// proxy); each must exit 0 and print what the README shows (transcript.ts says how it is
// compared). The README's well-known ports become free ones, so the test can run beside others.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../e2e/processes.js'
import { localPorts, runSteps, Shell } from './shell.js'
import { walkthroughSteps } from './transcript.js'

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const hasCurl = spawnSync('curl', ['--version']).status === 0

t.test('the README walkthrough has the steps the test relies on', async (t) => {
  const commands = walkthroughSteps(README).map((s) => s.command)
  t.ok(
    commands.some((c) => /^namerd /.test(c)),
    'starts namerd',
  )
  t.ok(
    commands.some((c) => /^switchyard-proxy /.test(c)),
    'starts a proxy',
  )
  t.ok(
    commands.some((c) => /l5d-dtab: \/host\/world => \/tmp\/world-v2/.test(c)),
    'an override',
  )
  t.ok(
    commands.some((c) => /^namerctl shift .*=10 /.test(c)),
    'a 10% shift',
  )
  t.ok(commands.includes('namerctl rollback internal'), 'a plain rollback')
  t.ok(
    commands.some((c) => /^namerctl rollback internal --to /.test(c)),
    'a rollback --to',
  )
})

t.test(
  'every command of the README walkthrough prints what the README shows',
  // CI installs curl (.ci/run): there, its absence fails the test instead of skipping it.
  { skip: hasCurl || process.env.CI === 'true' ? false : 'curl is not installed' },
  async (t) => {
    const local = await localPorts(['4180', '4140', '9990', '8081', '8082'])
    const shell = new Shell()
    t.teardown(() => shell.kill())
    await runSteps(t, shell, walkthroughSteps(README), {
      local,
      // The programs' logs say why; later steps would only fail after this one.
      onFailure: 'tail -n 20 $WALK/*.log',
    })
  },
)
