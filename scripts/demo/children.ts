// The demo's child processes: each keeps a bounded tail of what it printed (stdout and stderr,
// interleaved as they came), so any failure can name the program and show its last lines.
// Readiness is asked of the program (an HTTP readiness endpoint, or a TCP connect for the
// sample services, which have none), never read from a log line: at `warn` a healthy proxy
// logs nothing at all.
import { type ChildProcess, spawn } from 'node:child_process'
import { connect } from 'node:net'

/** Lines kept per child: enough to show a stack trace or the last few log lines. */
const TAIL_LINES = 30
/** A single line longer than this is cut, so one huge log line cannot fill the tail. */
const MAX_LINE = 2000

export class DemoError extends Error {
  readonly code = 'demo_failed'
}

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  /** The last lines it printed, indented for a failure message ("(it printed nothing)" if none). */
  tail(): string
  /** Why it stopped (`exited with code 1`, `was killed by SIGKILL`), or null while it runs. */
  exitReason(): string | null
  /** SIGTERM, as the demo's own stop: not reported as a failure. */
  stop(): void
}

export function startChild(
  name: string,
  cmd: string,
  args: readonly string[],
  cwd: string,
  onUnexpectedExit: (child: Child) => void,
): Child {
  const proc = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let partial = ''
  const keep = (d: Buffer) => {
    const parts = (partial + d.toString('utf8')).split('\n')
    partial = (parts.pop() ?? '').slice(0, MAX_LINE)
    for (const line of parts) lines.push(line.slice(0, MAX_LINE))
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES)
  }
  proc.stdout.on('data', keep)
  proc.stderr.on('data', keep)
  let reason: string | null = null
  let stopping = false
  const child: Child = {
    name,
    process: proc,
    tail() {
      const all = partial === '' ? lines : [...lines, partial]
      const shown = all.filter((l) => l.trim() !== '')
      if (shown.length === 0) return '    (it printed nothing)'
      return shown.map((l) => `    ${l}`).join('\n')
    },
    exitReason: () => reason,
    stop() {
      stopping = true
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
    },
  }
  proc.once('error', (err) => {
    reason = `could not be started (${err.message})`
    if (!stopping) onUnexpectedExit(child)
  })
  // 'close', not 'exit': it comes after the pipes are drained, so the tail has the last words.
  proc.once('close', (code, signal) => {
    reason = signal === null ? `exited with code ${code}` : `was killed by ${signal}`
    if (!stopping) onUnexpectedExit(child)
  })
  return child
}

/** "namerd exited with code 1 before it was ready; its last lines: ..." */
export function failure(child: Child, what: string): DemoError {
  return new DemoError(`${child.name} ${what}; its last output:\n${child.tail()}`)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Waits until `probe` says the child is ready (null), rejecting as soon as it exits or after
 * `timeoutMs`, with the probe's last answer and the child's last lines.
 */
export async function waitReady(
  child: Child,
  probe: () => Promise<string | null>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'not asked yet'
  for (;;) {
    const exited = child.exitReason()
    if (exited !== null) throw failure(child, `${exited} before it was ready`)
    const answer = await probe().catch((err: unknown) => (err as Error).message)
    if (answer === null) return
    last = answer
    if (Date.now() >= deadline) {
      throw failure(child, `was not ready after ${timeoutMs / 1000} s (last check: ${last})`)
    }
    await sleep(100)
  }
}

/** A probe: GET `url` answers a status `ok` accepts (null), else says what it got. */
export function httpProbe(url: string, ok: (status: number) => boolean) {
  return async (): Promise<string | null> => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
    const body = (await res.text()).trim().split('\n')[0] ?? ''
    return ok(res.status) ? null : `GET ${url}: ${res.status} ${body}`
  }
}

/** A probe: something accepts TCP connections on 127.0.0.1:`port` (null). */
export function tcpProbe(port: number) {
  return () =>
    new Promise<string | null>((done) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        done(null)
      })
      socket.once('error', (err) => done(`connect 127.0.0.1:${port}: ${err.message}`))
    })
}
