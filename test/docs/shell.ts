// Running a Markdown walkthrough for real: one bash, fed the steps in order, each step's output
// compared with what the page shows (transcript.ts says how). Shared by the tests of the README
// and of docs/*.md; each test starts nothing itself, the walkthrough's own commands do.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Test } from 'tap'
import { ROOT } from '../e2e/processes.js'
import { outputMatches, type Step } from './transcript.js'

/** Whether a server can listen on `port` of 127.0.0.1 now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

/** A port nothing listens on now, for a doc's well-known port. Picked at random below Linux's
 * ephemeral range (32768 and up), not by the kernel: a port the kernel handed out and took
 * back is soon handed to another test running beside this one, or to a client's connection
 * (curl's, namerctl's) before the walkthrough's program listens on it. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    if (await canListen(port)) return port
  }
}

/** The doc's ports mapped to free ones, and a function that rewrites a text with them. */
export async function localPorts(known: readonly string[]): Promise<(s: string) => string> {
  const ports = new Map<string, string>()
  for (const p of known) ports.set(p, String(await freePort()))
  const pattern = new RegExp(`\\b(${known.join('|')})\\b`, 'g')
  return (s) => s.replace(pattern, (p) => ports.get(p)!)
}

/** The built programs (namerd, namerctl, switchyard-proxy) and Node 24 first on the PATH, as a
 * reader who followed the README's setup has them. */
export const DOC_PATH = [
  join(ROOT, '.tools/node_modules/.bin'),
  join(ROOT, 'node_modules/.bin'),
  process.env.PATH ?? '',
].join(':')

/** One bash, fed a command at a time; what it prints (stdout and stderr) and its status. */
export class Shell {
  readonly #bash: ChildProcessWithoutNullStreams
  #out = ''
  #wake: (() => void) | undefined
  #seq = 0

  constructor(cwd: string = ROOT, env: NodeJS.ProcessEnv = process.env) {
    // Its own process group, so the programs it starts in the background die with it.
    this.#bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env, detached: true })
    const take = (d: Buffer) => {
      this.#out += d.toString('utf8')
      this.#wake?.()
    }
    this.#bash.stdout.on('data', take)
    this.#bash.stderr.on('data', take)
    // One pipe for both, as a terminal is one: a command's error lines and output lines come
    // in the order it wrote them, not in the order two pipes happen to be read.
    this.#bash.stdin.write('exec 2>&1\n')
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

/** A tap test, as `runSteps` uses it. */
type Asserts = Pick<Test, 'equal' | 'ok' | 'comment'>

export interface RunStepsOptions {
  /** Rewrites a command and its expected output before the run (the doc's ports to free ones). */
  readonly local?: (s: string) => string
  /** A command whose output explains a failure (the programs' logs), run after the first one. */
  readonly onFailure?: string
}

/** Runs `steps` in `shell`, in order, each expected to exit 0 (or the status its block gives)
 * and to print what the page shows; stops at the first that does not, since later steps would
 * only fail after it. */
export async function runSteps(
  t: Asserts,
  shell: Shell,
  steps: readonly Step[],
  options: RunStepsOptions = {},
): Promise<void> {
  const local = options.local ?? ((s: string) => s)
  for (const step of steps) {
    const command = local(step.command)
    const expected = step.expected.map(local)
    const { status, lines } = await shell.run(command)
    const first = step.command.split('\n')[0]
    const said = `$ ${command}\n${lines.join('\n')}`
    t.equal(status, step.status ?? 0, `exits ${step.status ?? 0}: ${first}\n${said}`)
    const same = outputMatches(expected, lines)
    t.ok(same, `prints what the page shows: ${first}`, {
      expected: expected.join('\n'),
      actual: lines.join('\n'),
    })
    if (status !== (step.status ?? 0) || !same) {
      if (options.onFailure !== undefined) {
        const logs = await shell.run(options.onFailure, 5_000)
        t.comment(logs.lines.join('\n'))
      }
      break
    }
  }
}
