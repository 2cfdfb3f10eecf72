// Test helpers: namerctl run as a real process (bin/namerctl.js, as installed: the Node version
// guard, then dist/main.js, which tap's `before` step builds), against a real namerd process
// started by namerd's own test helpers.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type NamerdProcess, ROOT, startProcess, tempDir } from '../../namerd/test/helpers.js'

export { eventually, ROOT, tempDir, watch } from '../../namerd/test/helpers.js'

export const NAMERCTL_BIN = fileURLToPath(new URL('../bin/namerctl.js', import.meta.url))

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Record<string, string>
  readonly cwd?: string
  readonly stdin?: string
}

/** The environment without anything namerctl reads, so a test sets exactly what it means to. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('NAMERCTL_') || k === 'FORCE_COLOR') continue
    env[k] = v
  }
  return env
}

/** Runs `namerctl <args>` to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [NAMERCTL_BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  child.stdin.end(options.stdin ?? '')
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

export interface Namerd {
  readonly base: string
  readonly process: NamerdProcess
  /** Runs namerctl with NAMERCTL_BASE_URL pointing at this namerd. */
  cli(args: readonly string[], options?: RunOptions): Promise<CliResult>
}

/** A namerd process on a free port with the memory store (or the given args). */
export async function startNamerd(
  t: Teardown,
  args: readonly string[] = ['--store', 'memory'],
  env: Record<string, string> = {},
): Promise<Namerd> {
  const proc = await startProcess(t, ['--listen', '127.0.0.1:0', ...args], env)
  t.teardown(() => proc.stop())
  return {
    base: proc.base,
    process: proc,
    cli: (cliArgs, options = {}) =>
      runCli(cliArgs, { ...options, env: { NAMERCTL_BASE_URL: proc.base, ...options.env } }),
  }
}

/** The linkerd-examples `internal` dtab (namerd-wire.md §7), as the pipeline creates it. */
export const INTERNAL = `/srv        => /#/io.l5d.k8s/default/http;
/host       => /srv;
/tmp        => /srv;
/svc        => /host;
/host/world => /srv/world-v1;
`

export async function writeTemp(t: Teardown, name: string, text: string): Promise<string> {
  const dir = await tempDir(t, 'namerctl-test-')
  const file = join(dir, name)
  await writeFile(file, text)
  return file
}

/** GET a dtab straight from namerd: its ETag and printed text. */
export async function fetchDtab(base: string, ns: string): Promise<{ etag: string; text: string }> {
  const res = await fetch(`${base}/api/1/dtabs/${ns}`, { headers: { accept: 'application/dtab' } })
  return { etag: res.headers.get('etag') ?? '', text: (await res.text()).trimEnd() }
}

export interface HistoryRecord {
  readonly version: string
  readonly previous: string | null
  readonly op: string
  readonly who: string | null
  readonly dtab: string | null
}

export async function fetchHistory(
  base: string,
  ns: string,
  token?: string,
): Promise<HistoryRecord[]> {
  const res = await fetch(`${base}/api/1/dtabs/${ns}/history`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })
  return (await res.json()) as HistoryRecord[]
}
