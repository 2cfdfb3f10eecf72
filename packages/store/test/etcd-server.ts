// A real etcd for tests: one member on 127.0.0.1, free client and peer ports, a temp data dir.
// Needs the `etcd` binary (Debian's etcd-server) on PATH, or ETCD_BIN. It can be stopped and
// started again on the same ports and data, to test what survives a restart.
//
// etcd runs under a small shell that kills it when our stdin closes, so an etcd never outlives
// the test process, even if the test is killed with SIGKILL.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ETCD_BIN = process.env.ETCD_BIN ?? 'etcd'

/** Why etcd tests cannot run here, or null if they can. */
export function etcdMissing(): string | null {
  try {
    execFileSync(ETCD_BIN, ['--version'], { stdio: 'ignore' })
    return null
  } catch {
    return `no etcd binary (${ETCD_BIN}); install Debian's etcd-server or set ETCD_BIN`
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

// Kills etcd when stdin reaches EOF (our process ended or closed it), and exits when etcd does.
const GUARD =
  'exec 3<&0; "$0" "$@" 3<&- </dev/null & p=$!; (read _ <&3; kill $p 2>/dev/null) & wait $p'

export class EtcdServer {
  private child: ChildProcess | null = null
  private log: string[] = []

  private constructor(
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
  ) {}

  /** Starts a fresh etcd. */
  static async start(): Promise<EtcdServer> {
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-etcd-'))
    let lastError: unknown
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new EtcdServer(dataDir, await freePort(), await freePort())
      try {
        await server.resume()
        return server
      } catch (err) {
        lastError = err // most likely a port taken between probing and binding: try others
        await server.stop()
        await rm(join(dataDir, 'member'), { recursive: true, force: true })
      }
    }
    await rm(dataDir, { recursive: true, force: true })
    throw lastError
  }

  get url(): string {
    return `http://127.0.0.1:${this.clientPort}`
  }

  get running(): boolean {
    return this.child !== null
  }

  /** Starts etcd again on the same ports and data, and waits until it is healthy. */
  async resume(): Promise<void> {
    if (this.child) return
    const peer = `http://127.0.0.1:${this.peerPort}`
    const args = [
      '--name=test',
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.url}`,
      `--advertise-client-urls=${this.url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-level=warn',
    ]
    const child = spawn('sh', ['-c', GUARD, ETCD_BIN, ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
      detached: true, // its own process group, so the SIGKILL fallback in stop() reaches etcd too
    })
    this.child = child
    this.log = []
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      this.log.push(chunk)
      if (this.log.length > 50) this.log.shift()
    })
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code) => {
        if (this.child === child) this.child = null
        reject(new Error(`etcd exited (${code}) while starting:\n${this.log.join('')}`))
      })
    })
    exited.catch(() => {})
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      if (await Promise.race([this.healthy(), exited])) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`etcd did not become healthy in 15 s:\n${this.log.join('')}`)
  }

  /** Stops etcd (SIGTERM, then SIGKILL after 5 s) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.child
    if (!child) return
    this.child = null
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.stdin?.end() // the guard shell kills etcd (SIGTERM) and then exits itself
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    }, 5000)
    await exited
    clearTimeout(timer)
  }

  /** Stops etcd, deletes its data and starts it empty: a cluster restored or recreated. */
  async wipe(): Promise<void> {
    await this.stop()
    await rm(join(this.dataDir, 'member'), { recursive: true, force: true })
    await this.resume()
  }

  /** Stops etcd and removes its data. */
  async destroy(): Promise<void> {
    await this.stop()
    await rm(this.dataDir, { recursive: true, force: true })
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) })
      const body = (await res.json()) as { health?: string }
      return body.health === 'true'
    } catch {
      return false
    }
  }
}
