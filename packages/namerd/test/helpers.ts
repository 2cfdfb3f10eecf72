// Test helpers: a namerd in this process (real HTTP on 127.0.0.1, port 0), a namerd as a real
// process, and reading watch streams line by line.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MountedAddrNamer } from '@switchyard/namers'
import { type DtabStore, openMemoryStore } from '@switchyard/store'
import { pino } from 'pino'
import { buildServer, type NamerdServer, type ServerOptions } from '../src/index.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function tempDir(t: Teardown, prefix = 'namerd-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface InProcess {
  readonly base: string
  readonly server: NamerdServer
  readonly store: DtabStore
}

/** A namerd in this process, listening on a free loopback port; closed when the test ends. */
export async function startServer(
  t: Teardown,
  options: Partial<ServerOptions> & { namers?: readonly MountedAddrNamer[] } = {},
): Promise<InProcess> {
  const store = options.store ?? openMemoryStore()
  const server = await buildServer({
    logger: pino({ level: 'silent' }),
    ...options,
    store,
    metrics: options.metrics,
  })
  await server.app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await server.close(500)
    await store.close()
  })
  const { port } = server.app.server.address() as AddressInfo
  return { base: `http://127.0.0.1:${port}`, server, store }
}

// The program as users start it: bin/namerd.js (the Node version guard, then dist/main.js),
// which tap's `before` step (test/build-first.ts) has brought up to date. Running the source
// through tsx instead cost a second of compiling at each of the suite's many starts.
const BIN = fileURLToPath(new URL('../bin/namerd.js', import.meta.url))
/** The repository root, where `pnpm exec tap` runs. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The command that runs namerd as built. */
export function namerdCommand(args: readonly string[]): [string, string[]] {
  return [process.execPath, [BIN, ...args]]
}

export interface NamerdProcess {
  readonly base: string
  readonly child: ChildProcess
  /** Every line the process wrote to stdout and stderr so far. */
  readonly output: string[]
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  readonly exited: Promise<number | null>
}

/**
 * Runs `namerd <args>` as a real process and resolves once its log says where it listens.
 * Killed when the test ends, if still running.
 */
export async function startProcess(
  t: Teardown,
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = ROOT,
): Promise<NamerdProcess> {
  const [cmd, argv] = namerdCommand(args)
  const child = spawn(cmd, argv, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`namerd did not start:\n${output.join('\n')}`)),
      20_000,
    )
    const onLine = (line: string) => {
      output.push(line)
      if (!line.includes('"namerd listening"')) return
      const { address } = JSON.parse(line) as { address: string }
      clearTimeout(timer)
      resolve(`http://${address}`)
    }
    lines(child.stdout!, onLine)
    lines(child.stderr!, (l) => output.push(l))
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`namerd exited with ${code} before listening:\n${output.join('\n')}`))
    })
  })
  return {
    base,
    child,
    output,
    exited,
    async stop(signal = 'SIGTERM') {
      child.kill(signal)
      return exited
    },
  }
}

/** Runs `namerd <args>` to completion: exit code, stdout and stderr. */
export async function runNamerd(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = ROOT,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, argv] = namerdCommand(args)
  const child = spawn(cmd, argv, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  return { code, stdout, stderr }
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = ''
  stream.on('data', (d: Buffer) => {
    buf += d.toString()
    let i = buf.indexOf('\n')
    while (i !== -1) {
      onLine(buf.slice(0, i))
      buf = buf.slice(i + 1)
      i = buf.indexOf('\n')
    }
  })
}

/** Reads a streamed response body one newline-terminated line at a time. */
export class LineReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  readonly #decoder = new TextDecoder()
  #buf = ''
  #done = false
  /** A read that outlived a timeout is kept, so its data is not lost. */
  #reading: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> | undefined

  constructor(res: Response) {
    this.#reader = res.body!.getReader()
  }

  /** The next line (without its newline); null at the end of the body. Rejects after `ms`. */
  async next(ms = 3000): Promise<string | null> {
    const deadline = Date.now() + ms
    for (;;) {
      const i = this.#buf.indexOf('\n')
      if (i !== -1) {
        const line = this.#buf.slice(0, i)
        this.#buf = this.#buf.slice(i + 1)
        return line
      }
      if (this.#done) return null
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no line within ${ms} ms (have ${JSON.stringify(this.#buf)})`)
      let timer: NodeJS.Timeout | undefined
      this.#reading ??= this.#reader.read()
      const chunk = await Promise.race([
        this.#reading,
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), left)
        }),
      ])
      clearTimeout(timer)
      if (chunk === 'timeout') continue
      this.#reading = undefined
      if (chunk.done) this.#done = true
      else this.#buf += this.#decoder.decode(chunk.value, { stream: true })
    }
  }

  /** Resolves with no line within `ms`: true if nothing came, the line if something did. */
  async quiet(ms: number): Promise<true | string | null> {
    try {
      return await this.next(ms)
    } catch {
      return true
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {})
  }
}

/** Opens a watch stream and returns its response (status and headers checked by the caller). */
export async function watch(
  t: Teardown,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ res: Response; lines: LineReader }> {
  const ac = new AbortController()
  const res = await fetch(url, { headers, signal: ac.signal })
  const reader = new LineReader(res)
  t.teardown(async () => {
    await reader.cancel()
    ac.abort()
  })
  return { res, lines: reader }
}

/** Polls `probe` until it is true; throws after `ms`. */
export async function eventually(
  what: string,
  probe: () => boolean | Promise<boolean>,
  ms = 3000,
): Promise<void> {
  const start = Date.now()
  while (!(await probe())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
