// Real programs as child processes for end-to-end tests: started as a user would (the built
// commands), ready when they log a line saying where they listen, killed when the test ends
// even if it fails, so none outlives it.
import { type ChildProcess, spawn } from 'node:child_process'
import { type Agent, request } from 'node:http'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The part of a tap test the helpers need. */
interface Teardown {
  teardown(fn: () => unknown): void
  passing(): boolean
}

/** Every child still running. The exit hook kills them when the test process ends any way it
 * can still run code (a setup step that throws at top level skips tap's teardown). */
const live = new Set<ChildProcess>()
let hooked = false
function killAll(): void {
  for (const child of live) child.kill('SIGKILL')
  live.clear()
}

export interface Proc {
  readonly name: string
  readonly child: ChildProcess
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  readonly output: () => string
  /** Resolves with the first JSON log line (stdout) whose `msg` matches. */
  waitFor(msg: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Sends `signal` (SIGTERM by default) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  readonly exited: Promise<void>
}

/** Output kept per process: the tail is what explains a failure. */
const MAX_OUTPUT = 64 * 1024

export interface RunOptions {
  /** Variables added to (or replacing) this process's environment, e.g. KUBECONFIG. */
  readonly env?: Readonly<Record<string, string>>
}

/**
 * Starts `cmd args` in the repository root. When `t` ends, the process gets SIGKILL if it is
 * still running, and if `t` failed, the tail of its output goes to stderr.
 */
export function run(
  t: Teardown,
  name: string,
  cmd: string,
  args: readonly string[],
  options: RunOptions = {},
): Proc {
  if (!hooked) {
    hooked = true
    process.once('exit', killAll)
  }
  const env = options.env === undefined ? process.env : { ...process.env, ...options.env }
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  let out = ''
  const keep = (s: string) => {
    out += s
    if (out.length > 2 * MAX_OUTPUT) out = out.slice(-MAX_OUTPUT)
  }
  const lines: Record<string, unknown>[] = []
  const waiters = new Set<() => void>()
  let buf = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (d: string) => {
    keep(d)
    buf += d
    let i = buf.indexOf('\n')
    while (i !== -1) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      if (line.startsWith('{')) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>)
        } catch {}
      }
      i = buf.indexOf('\n')
    }
    for (const w of waiters) w()
  })
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', keep)
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      live.delete(child)
      resolve()
    }
    child.once('exit', done)
    // A command that cannot be started emits 'error' and no 'exit'.
    child.once('error', (err) => {
      keep(`\n[spawn error: ${err.message}]\n`)
      done()
    })
  })
  const running = () => live.has(child)
  t.teardown(() => {
    if (running()) child.kill('SIGKILL')
    live.delete(child)
    if (!t.passing()) {
      process.stderr.write(`\n----- ${name} (pid ${child.pid}) output, last part -----\n`)
      process.stderr.write(`${out.slice(-8192)}\n`)
    }
  })
  return {
    name,
    child,
    exited,
    output: () => out,
    waitFor(msg, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => typeof l.msg === 'string' && msg.test(l.msg))
          if (hit === undefined) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(hit)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`${name}: no log line ${msg} within ${timeoutMs} ms; output:\n${out}`))
        }, timeoutMs)
        waiters.add(check)
        void exited.then(() => {
          if (!waiters.has(check)) return
          waiters.delete(check)
          clearTimeout(timer)
          reject(
            new Error(
              `${name} exited (code ${child.exitCode}, signal ${child.signalCode}) before logging ${msg}; output:\n${out}`,
            ),
          )
        })
        check()
      })
    },
    async kill(signal = 'SIGTERM') {
      if (!running()) return
      child.kill(signal)
      await exited
    },
  }
}

/** The port in a listening log line: `{port: N}` or `{address: "127.0.0.1:N"}`. */
export function portOf(line: Record<string, unknown>): number {
  const port =
    typeof line.port === 'number' ? line.port : Number(String(line.address).split(':').pop())
  if (!Number.isInteger(port) || port <= 0) {
    throw new Error(`no port in log line ${JSON.stringify(line)}`)
  }
  return port
}

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** A GET to 127.0.0.1:`port` with any headers, Host included (fetch would not let us set Host). */
export function get(port: number, headers: Record<string, string>, agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        body += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Polls `check` every 50 ms until it returns true, at most `timeoutMs`; throws with `what`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      if (await check()) return
      last = undefined
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}
