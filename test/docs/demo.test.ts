// `pnpm demo` (scripts/demo.ts) as a user runs it, a real process starting real programs: it
// waits for each program's readiness endpoint, not for a log line (at `warn` a healthy proxy
// and namerd print nothing), and when a program fails it names it and shows its last lines.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** `scripts/demo.ts --once` with its data in `data`, as `pnpm demo` runs it (after the build). */
function demo(data: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@switchyard/source', 'scripts/demo.ts', '--once'],
      {
        cwd: ROOT,
        env: { ...process.env, SWITCHYARD_DEMO_DATA: data, CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
    })
    // A demo that hangs is a failure too; it is killed rather than left to tap's timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-demo-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test(
  'the demo walks the blue-green flow, and again on the data the first run left',
  async (t) => {
    const data = tempDir()
    for (const run of ['first', 'second']) {
      const { code, stdout, stderr } = await demo(data)
      t.equal(code, 0, `${run} run exits 0\n${stdout}\n${stderr}`)
      t.equal(stderr, '', `${run} run: nothing on stderr`)
      t.match(stdout, /l5d-dtab: \/host\/world => \/tmp\/world-v2'.*\n {2}200 .*"version":"v2"/)
      t.match(stdout, /500 requests to world through the proxy -> v1: \d+, v2: \d+/)
      t.match(stdout, /50 requests to world through the proxy -> v2: 50\n/)
      t.match(
        stdout,
        /\$ namerctl rollback internal --to \S+[\s\S]*50 requests to world through the proxy -> v1: 50\n/,
      )
    }
  },
)

t.test('a program that cannot start is named, with its last lines', async (t) => {
  const data = tempDir()
  // namerd's file store is a directory; a plain file there stops namerd at start.
  writeFileSync(join(data, 'store'), 'not a directory\n')
  const { code, stdout, stderr } = await demo(data)
  t.equal(code, 1, stdout)
  t.match(stderr, /^demo failed: namerd exited with code 1 before it was ready; its last output:\n/)
  t.match(
    stderr,
    /\n {4}namerd: cannot start: file store at .*store.*ENOTDIR/,
    "namerd's own words",
  )
  t.notMatch(stdout, /== 1\./, 'the walk does not begin')
})
