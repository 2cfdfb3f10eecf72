// docs/proxy.md's "Walkthrough: a blue-green release with curl", run for real: every
// `$ command` of its ```console walkthrough blue-green blocks, in one bash, in order, from the
// checkout, against the programs it starts itself (namerd on a file store, two world backends,
// hello, a proxy); each must exit as the page says and print what the page shows
// (transcript.ts says how). The page's well-known ports become free ones.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../e2e/processes.js'
import { localPorts, runSteps, Shell } from './shell.js'
import { walkthroughSteps } from './transcript.js'

const PAGE = readFileSync(join(ROOT, 'docs/proxy.md'), 'utf8')
const steps = walkthroughSteps(PAGE, 'blue-green')
const hasCurl = spawnSync('curl', ['--version']).status === 0

t.test('the walkthrough starts every program, overrides, shifts and stops namerd', async (t) => {
  const commands = steps.map((s) => s.command)
  for (const [what, pattern] of [
    ['namerd', /^namerd /],
    ['a proxy', /^switchyard-proxy /],
    ['hello', /hello\.ts/],
    ['an override', /l5d-dtab: \/host\/world => \/srv\/world-v2/],
    ['a 10% shift', /^namerctl shift .*=10 /],
    ['namerd stopped', /^kill %namerd/],
  ] as const) {
    t.ok(
      commands.some((c) => pattern.test(c)),
      what,
    )
  }
})

t.test(
  'every command of the walkthrough prints what docs/proxy.md shows',
  // CI installs curl (.ci/run): there, its absence fails the test instead of skipping it.
  { skip: hasCurl || process.env.CI === 'true' ? false : 'curl is not installed' },
  async (t) => {
    const shell = new Shell()
    t.teardown(() => shell.kill())
    await runSteps(t, shell, steps, {
      local: await localPorts(['4180', '4140', '9990', '8081', '8082', '7000']),
      onFailure: 'tail -n 20 $WALK/*.log',
    })
  },
)
