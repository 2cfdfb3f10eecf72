// The fake Kubernetes API server (@switchyard/kube-fake) as a process of its own, so that a
// benchmark measures its CPU apart from namerd's and its own, as it does etcd's. Run directly:
//
//   node --import tsx --conditions=@switchyard/source test/bench/kube-fake-process.ts <dir>
//
// it starts the fake on 127.0.0.1 (a free port), installs the CRDs of deploy/crd, writes a
// kubeconfig for it into <dir>, prints one JSON line {msg: "kube-fake listening", url,
// kubeconfig, pid}, and stops when its stdin closes (the benchmark ended, however it ended) or
// on SIGTERM/SIGINT. Imported, it gives startKubeFake(), which runs it so.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { FakeKubeApi } from '@switchyard/kube-fake'

const SELF = fileURLToPath(import.meta.url)
const CRD_DIR = fileURLToPath(new URL('../../deploy/crd', import.meta.url))
const TSX = import.meta.resolve('tsx')

export interface KubeFakeProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** A kubeconfig for it (plain http, no credentials), for KUBECONFIG. */
  readonly kubeconfig: string
  /** Its node process, for CPU accounting. */
  readonly pid: number
  /** Stops it (stdin closed, SIGKILL after `graceMs`) and waits until it has exited. */
  stop(graceMs?: number): Promise<void>
}

/** Runs this file as a child process; resolves once it listens. */
export async function startKubeFake(dir: string): Promise<KubeFakeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', TSX, '--conditions=@switchyard/source', SELF, dir],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => {
    out += d
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const running = () => child.exitCode === null && child.signalCode === null
  const stop = async (graceMs = 5000) => {
    child.stdin!.end()
    if (!running()) return
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kube-fake did not start:\n${out}`)), 30_000)
      child.stdout!.on('data', (d: string) => {
        out += d
        const i = out.indexOf('\n')
        if (i !== -1 && out.startsWith('{')) {
          clearTimeout(timer)
          resolve(out.slice(0, i))
        }
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`kube-fake exited (${code}) before listening:\n${out}`))
      })
    })
    const { url, kubeconfig, pid } = JSON.parse(line) as {
      url: string
      kubeconfig: string
      pid: number
    }
    return { url, kubeconfig, pid, stop }
  } catch (err) {
    await stop(1000)
    throw err
  }
}

async function main(dir: string | undefined): Promise<void> {
  if (dir === undefined) {
    process.stderr.write('usage: kube-fake-process.ts <dir for the kubeconfig>\n')
    process.exit(2)
  }
  const api = await FakeKubeApi.start()
  await api.installCrdsFrom(CRD_DIR)
  const kubeconfig = await api.writeKubeconfig(dir)
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    void api.close().finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  // Our parent closes stdin to stop us, or it closes when the parent dies.
  process.stdin.on('end', stop)
  process.stdin.on('close', stop)
  process.stdin.resume()
  process.stdout.write(
    `${JSON.stringify({ msg: 'kube-fake listening', url: api.url, kubeconfig, pid: process.pid })}\n`,
  )
}

if (process.argv[1] === SELF) await main(process.argv[2])
