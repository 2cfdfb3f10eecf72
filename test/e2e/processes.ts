// Real programs as child processes for end-to-end tests: started as a user would (the built
// commands), ready when they log a line saying where they listen, killed when the test ends
// even if it fails, so none outlives it.
import { type ChildProcess, spawn } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Proc {
  readonly child: ChildProcess
  /** Everything it printed so far, for failure messages. */
  readonly output: () => string
  /** Resolves with the first JSON log line whose `msg` matches. */
  waitFor(msg: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>
  kill(signal?: NodeJS.Signals): Promise<void>
}

export function run(t: Teardown, cmd: string, args: readonly string[]): Proc {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const lines: Record<string, unknown>[] = []
  const waiters = new Set<() => void>()
  let buf = ''
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
    buf += d.toString()
    let i = buf.indexOf('\n')
    while (i !== -1) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {}
      i = buf.indexOf('\n')
    }
    for (const w of waiters) w()
  })
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return {
    child,
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
          reject(
            new Error(`${cmd} ${args.join(' ')}: no log line ${msg} in ${timeoutMs} ms:\n${out}`),
          )
        }, timeoutMs)
        waiters.add(check)
        void exited.then(() => {
          if (!waiters.has(check)) return
          waiters.delete(check)
          clearTimeout(timer)
          reject(new Error(`${cmd} exited (${child.exitCode}) before ${msg}:\n${out}`))
        })
        check()
      })
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill(signal)
      await exited
    },
  }
}

export interface Reply {
  readonly status: number
  readonly body: string
}

/** A GET with any headers, Host included (fetch would not let us choose Host). */
export function get(port: number, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        body += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Polls `check` until it returns true, at most `timeoutMs`; throws with `what` otherwise. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await check()) return
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
