// The switchyard-proxy command as users run it: bin/switchyard-proxy.js (the built dist/) in a
// child process, started with the flags its shebang gives node, on a config file written for
// the test. Killed when the test ends; its output is shown when the test failed.
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PROXY_NODE_FLAGS } from '../src/node-flags.js'

export const BIN = fileURLToPath(new URL('../bin/switchyard-proxy.js', import.meta.url))

interface Teardown {
  teardown(fn: () => unknown): void
  passing(): boolean
}

export interface Exit {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface ProxyProcess {
  readonly child: ChildProcess
  /** Every JSON log line so far. */
  readonly lines: Record<string, unknown>[]
  /** Each `router listening` address's port, in the order of the config's servers. */
  readonly ports: number[]
  readonly adminPort: number
  readonly exit: Promise<Exit>
}

function spawnProxy(args: readonly string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [...PROXY_NODE_FLAGS, BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const exit = new Promise<Exit>((done) => {
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
  return { child, exit }
}

/** Runs the command to its end (`--check`, say). */
export function runProxyCommand(args: readonly string[]): Promise<Exit> {
  return spawnProxy(args).exit
}

/** Writes `yaml` to `dir`/`name` and returns the path. */
export async function writeConfig(dir: string, yaml: string, name = 'proxy.yaml'): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, yaml)
  return file
}

/**
 * Starts the proxy on `config` and resolves once every router's servers and the admin
 * server listen (the proxy logs `admin listening` last).
 */
export async function startProxyProcess(t: Teardown, config: string): Promise<ProxyProcess> {
  const { child, exit } = spawnProxy(['--config', config, '--log-level', 'info'])
  let output = ''
  child.stderr?.on('data', (d: string) => {
    output += d
  })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    if (!t.passing()) process.stderr.write(`\n--- switchyard-proxy output ---\n${output}\n`)
  })
  const lines: Record<string, unknown>[] = []
  const ports: number[] = []
  const adminPort = await new Promise<number>((done, fail) => {
    let buffer = ''
    child.stdout?.on('data', (d: string) => {
      output += d
      buffer += d
      let nl = buffer.indexOf('\n')
      while (nl >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        const port = Number(String(line.address).split(':').pop())
        if (line.msg === 'router listening') ports.push(port)
        if (line.msg === 'admin listening') done(port)
        nl = buffer.indexOf('\n')
      }
    })
    void exit.then((e) => fail(new Error(`switchyard-proxy exited (${e.code}): ${e.stderr}`)))
  })
  return { child, lines, ports, adminPort, exit }
}

/**
 * Resolves once /admin/ready answers 200: every router has its first dtab. The proxy listens
 * before that, answering 503 meanwhile.
 */
export async function whenReady(proxy: ProxyProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/admin/ready`)
    last = await res.text()
    if (res.status === 200) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`the proxy was not ready within ${timeoutMs} ms: ${last}`)
}
