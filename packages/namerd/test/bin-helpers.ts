// The programs as users start them: bin/*.js (the Node version guard, then dist/main.js) in a
// child process. `pnpm build` must have run: the bins import dist/.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const NAMERD_BIN = fileURLToPath(new URL('../bin/namerd.js', import.meta.url))

export interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface Started {
  readonly child: ChildProcess
  readonly finished: Promise<Finished>
  /** Resolves with the first JSON log line whose msg is `msg`; rejects if the process ends. */
  logLine(msg: string): Promise<Record<string, unknown>>
}

export interface RunOptions {
  /** The node to run (default: this one). */
  readonly node?: string
  /** Node's own arguments, before the bin. */
  readonly nodeArgs?: readonly string[]
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Starts `node <bin> <args>`; killed when the test ends, if still running. */
export function startBin(
  t: Teardown,
  bin: string,
  args: readonly string[],
  options: RunOptions = {},
): Started {
  const child = spawn(
    options.node ?? process.execPath,
    [...(options.nodeArgs ?? []), bin, ...args],
    {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  const waiters: { msg: string; done: (line: Record<string, unknown>) => void }[] = []
  let buffer = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
    buffer += d
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const text = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      let line: Record<string, unknown>
      try {
        line = JSON.parse(text) as Record<string, unknown>
      } catch {
        continue
      }
      for (const w of waiters.filter((w) => w.msg === line.msg)) w.done(line)
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const finished = new Promise<Finished>((done) =>
    child.once('close', (code) => done({ code, stdout, stderr })),
  )
  return {
    child,
    finished,
    logLine: (msg) =>
      new Promise((done, fail) => {
        waiters.push({ msg, done })
        void finished.then((f) =>
          fail(new Error(`exited ${f.code} before logging "${msg}":\n${f.stdout}${f.stderr}`)),
        )
      }),
  }
}

/** Runs `node <bin> <args>` to the end. */
export function runBin(
  t: Teardown,
  bin: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Finished> {
  return startBin(t, bin, args, options).finished
}

/**
 * A line of a stack trace (`    at fn (file:1:2)`), printed as it is or inside a JSON log line
 * (after an escaped newline).
 */
export const STACK_LINE = /(?:^|\\n)\s+at [^\n]*:\d+:\d+/m
