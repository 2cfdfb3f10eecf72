// namerd as a real child process for benchmarks: run from source (tsx), on 127.0.0.1 with a
// port it picks itself (port 0: free by construction, no probe-then-bind race), its log
// written to a file (a pipe would make the benchmark process read every request's log line).
//
// namerd runs under a small shell that stops it (SIGTERM: a clean drain) when our stdin
// closes, so a namerd never outlives the benchmark, even one killed with SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../packages/namerd/src/main.ts', import.meta.url))
const TSX = import.meta.resolve('tsx')
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

// Stops the command (SIGTERM) when stdin reaches EOF, and exits with its status.
const GUARD =
  'exec 3<&0; "$0" "$@" 3<&- </dev/null & p=$!; (read _ <&3; kill $p 2>/dev/null) & wait $p'

export interface NamerdProcess {
  /** `http://127.0.0.1:<port>` */
  readonly base: string
  readonly port: number
  /** The pid of namerd's node process (from its log), for CPU accounting. */
  readonly pid: number
  readonly logFile: string
  /** Stops namerd (SIGTERM, SIGKILL after `graceMs`) and waits until it has exited. */
  stop(graceMs?: number): Promise<void>
}

export interface NamerdOptions {
  readonly store: string
  /** Where its log goes (`<dir>/namerd.log`). */
  readonly dir: string
  readonly logLevel?: string
  /** Extra node flags for namerd, such as `--cpu-prof`. */
  readonly nodeFlags?: readonly string[]
  /** Extra namerd arguments, such as `--k8s-namespace <ns>`. */
  readonly args?: readonly string[]
  /** Variables added to namerd's environment, such as KUBECONFIG. */
  readonly env?: Readonly<Record<string, string>>
}

export async function startNamerd(options: NamerdOptions): Promise<NamerdProcess> {
  const logFile = join(options.dir, 'namerd.log')
  const log = openSync(logFile, 'w')
  const args = [
    ...(options.nodeFlags ?? []),
    '--import',
    TSX,
    '--conditions=@switchyard/source',
    MAIN,
    '--listen',
    '127.0.0.1:0',
    '--store',
    options.store,
    ...(options.logLevel ? ['--log-level', options.logLevel] : []),
    ...(options.args ?? []),
  ]
  let child: ChildProcess
  try {
    child = spawn('sh', ['-c', GUARD, process.execPath, ...args], {
      cwd: ROOT,
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      stdio: ['pipe', log, log],
      detached: true, // its own process group, so the SIGKILL fallback reaches namerd too
    })
  } finally {
    closeSync(log)
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  const running = () => child.exitCode === null && child.signalCode === null
  const stop = async (graceMs = 10_000) => {
    child.stdin?.end() // the guard sends SIGTERM (and its reader of our stdin ends)
    if (!running()) return
    const timer = setTimeout(() => {
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // gone already
        }
      }
    }, graceMs)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + 30_000
  try {
    for (;;) {
      const text = readFileSync(logFile, 'utf8')
      const line = text.split('\n').find((l) => l.includes('"namerd listening"'))
      if (line !== undefined) {
        const { address, pid } = JSON.parse(line) as { address: string; pid: number }
        const port = Number(address.slice(address.lastIndexOf(':') + 1))
        return { base: `http://${address}`, port, pid, logFile, stop }
      }
      if (!running()) throw new Error(`namerd exited before listening:\n${text.slice(-4000)}`)
      if (Date.now() > deadline) throw new Error(`namerd did not listen in 30 s:\n${text}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  } catch (err) {
    await stop(2000)
    throw err
  }
}
