// A real namerd in this process (fastify on 127.0.0.1, memory store, an io.l5d.fs namer over a
// temp dir) that counts the requests it gets, and small waiting helpers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildServer, type NamerdServer } from '@switchyard/namerd'
import { FsNamer } from '@switchyard/namers'
import { type DtabStore, openMemoryStore } from '@switchyard/store'
import { pino } from 'pino'

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function tempDir(t: Teardown, prefix = 'proxy-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface TestNamerd {
  readonly base: string
  readonly port: number
  readonly server: NamerdServer
  /** Every request URL namerd received, in order. */
  readonly requests: string[]
  stop(): Promise<void>
}

/** Starts namerd on `port` (0: any) with `store` and an io.l5d.fs namer over `fsDir`. */
export async function startNamerd(
  t: Teardown,
  store: DtabStore,
  fsDir: string,
  port = 0,
): Promise<TestNamerd> {
  const fs = await FsNamer.open({ rootDir: fsDir, rescanIntervalMs: 50, settleMs: 5 })
  const server = await buildServer({
    logger: pino({ level: 'silent' }),
    store,
    namers: [{ prefix: fs.prefix, namer: fs }],
  })
  const requests: string[] = []
  server.app.server.on('request', (req: { url?: string }) => requests.push(req.url ?? ''))
  await server.app.listen({ host: '127.0.0.1', port })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await server.close(50)
    await fs.close()
  }
  t.teardown(stop)
  const actual = (server.app.server.address() as AddressInfo).port
  return { base: `http://127.0.0.1:${actual}`, port: actual, server, requests, stop }
}

export function memoryStore(t: Teardown): DtabStore {
  const store = openMemoryStore()
  t.teardown(() => store.close())
  return store
}

export async function putDtab(base: string, ns: string, dtab: string): Promise<string | null> {
  const res = await fetch(`${base}/api/1/dtabs/${ns}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: dtab,
  })
  if (res.status !== 204) throw new Error(`PUT ${ns}: ${res.status} ${await res.text()}`)
  return res.headers.get('etag')
}

export async function writeEndpoints(dir: string, name: string, ports: number[]): Promise<void> {
  await writeFile(join(dir, name), ports.map((p) => `127.0.0.1 ${p}\n`).join(''))
}

/** Polls `probe` until it is true; throws after `ms`. */
export async function eventually(
  what: string,
  probe: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<void> {
  const start = Date.now()
  while (!(await probe())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
