// The README's walkthrough ("By hand: the blue-green flow in one terminal"), run for real: every
// `$ command` of its ```console walkthrough blocks, in one bash, in order, from the checkout,
// against real programs it starts itself (namerd on a file store, two world backends, a
// proxy); each must exit 0 and print what the README shows (transcript.ts says how it is
// compared). The README's well-known ports become free ones, so the test can run beside others.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../e2e/processes.js'
import { outputMatches, walkthroughSteps } from './transcript.js'

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const hasCurl = spawnSync('curl', ['--version']).status === 0

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** One bash, fed a command at a time; what it prints (stdout and stderr) and its status. */
class Shell {
  readonly #bash: ChildProcessWithoutNullStreams
  #out = ''
  #wake: (() => void) | undefined
  #seq = 0

  constructor() {
    // Its own process group, so the programs it starts in the background die with it.
    this.#bash = spawn('bash', ['--noprofile', '--norc'], { cwd: ROOT, detached: true })
    const take = (d: Buffer) => {
      this.#out += d.toString('utf8')
      this.#wake?.()
    }
    this.#bash.stdout.on('data', take)
    this.#bash.stderr.on('data', take)
  }

  async run(command: string, timeoutMs = 40_000): Promise<{ status: number; lines: string[] }> {
    const mark = `__walkthrough_${++this.#seq}__`
    this.#bash.stdin.write(`${command}\n__s=$?; printf '\\n${mark} %d\\n' "$__s"\n`)
    const end = new RegExp(`\\n${mark} (\\d+)\\n`)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const m = end.exec(this.#out)
      if (m !== null) {
        const printed = this.#out.slice(0, m.index)
        this.#out = this.#out.slice(m.index + m[0].length)
        const lines = printed.split('\n')
        while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop()
        return { status: Number(m[1]), lines }
      }
      if (Date.now() > deadline) {
        return { status: -1, lines: [...this.#out.split('\n'), `(no end after ${timeoutMs} ms)`] }
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        setTimeout(resolve, 200)
      })
    }
  }

  kill(): void {
    try {
      process.kill(-this.#bash.pid!, 'SIGKILL')
    } catch {}
  }
}

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
    const ports = new Map<string, string>()
    for (const known of ['4180', '4140', '9990', '8081', '8082']) {
      ports.set(known, String(await freePort()))
    }
    const local = (s: string) => s.replace(/\b(4180|4140|9990|8081|8082)\b/g, (p) => ports.get(p)!)
    const shell = new Shell()
    t.teardown(() => shell.kill())
    for (const step of walkthroughSteps(README)) {
      const command = local(step.command)
      const expected = step.expected.map(local)
      const { status, lines } = await shell.run(command)
      const said = `$ ${command}\n${lines.join('\n')}`
      t.equal(status, 0, `exits 0: ${step.command.split('\n')[0]}\n${said}`)
      const same = outputMatches(expected, lines)
      t.ok(same, `prints what the README shows: ${step.command.split('\n')[0]}`, {
        expected: expected.join('\n'),
        actual: lines.join('\n'),
      })
      if (status !== 0 || !same) {
        // The programs' logs say why; later steps would only fail after this one.
        const logs = await shell.run('tail -n 20 $WALK/*.log', 5_000)
        t.comment(logs.lines.join('\n'))
        break
      }
    }
  },
)
