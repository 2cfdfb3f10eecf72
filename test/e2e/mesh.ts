// The blue-green tests' view of the programs they run: the built commands, namerctl as a
// pipeline runs it, a world backend, and what namerd and a proxy's admin port say about the
// namespace `internal` and the router `outgoing`. Shared by blue-green.test.ts (file store)
// and blue-green-k8s.test.ts (the CRD store on the fake API server).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PROXY_NODE_FLAGS } from '@switchyard/proxy'
import { eventually, type Proc, portOf, ROOT, run } from './processes.js'

export const NODE = process.execPath
export const NAMERD = join(ROOT, 'packages/namerd/dist/main.js')
export const PROXY = join(ROOT, 'packages/proxy/dist/main.js')
export const NAMERCTL = join(ROOT, 'packages/namerctl/dist/main.js')
for (const main of [NAMERD, PROXY, NAMERCTL]) {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first`)
}
/** Node flags that run the TypeScript examples. */
export const TSX = ['--import', 'tsx']

/** The namespace and the router every blue-green test uses. */
const NAMESPACE = 'internal'
const ROUTER = 'outgoing'

/** Runs the real CLI against namerd at `namerdPort`; rejects with its exit code and stderr when it fails. */
export function namerctl(
  namerdPort: number,
  args: readonly string[],
  stdin?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      NODE,
      [NAMERCTL, '--base-url', `http://127.0.0.1:${namerdPort}`, ...args],
      { cwd: ROOT, timeout: 20_000 },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`namerctl ${args.join(' ')} failed (${err.code}):\n${stderr}`))
          : resolve(stdout),
    )
    child.stdin!.end(stdin ?? '')
  })
}

/** A world backend answering as `version`, on a port of its own. */
export async function world(
  t: Parameters<typeof run>[0],
  version: string,
  name = `world-${version}`,
) {
  const proc = run(t, name, NODE, [
    ...TSX,
    'examples/hello-world/world.ts',
    '--port',
    '0',
    '--version',
    version,
  ])
  return { proc, port: portOf(await proc.waitFor(/world listening/)) }
}

export interface Stored {
  /** The ETag namerd answers with. */
  readonly version: string
  readonly dtab: unknown
}

/** The namespace as namerd holds it now: its version (ETag) and its dtab. */
export async function stored(namerdPort: number): Promise<Stored> {
  const res = await fetch(`http://127.0.0.1:${namerdPort}/api/1/dtabs/${NAMESPACE}`)
  if (res.status !== 200) throw new Error(`namerd GET ${NAMESPACE}: ${res.status}`)
  return { version: res.headers.get('etag') ?? '', dtab: await res.json() }
}

export interface RouterState {
  readonly label: string
  readonly version: string | null
  readonly interpreter: { readonly connected: boolean }
}

/** The router as the proxy's admin port shows it. */
export async function routerState(adminPort: number): Promise<RouterState> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/admin/routers.json`)
  const routers = (await res.json()) as RouterState[]
  const router = routers.find((r) => r.label === ROUTER)
  if (router === undefined) throw new Error(`no router "${ROUTER}" in /admin/routers.json`)
  return router
}

/** Until the proxy routes on the version namerd holds now (at most 10 s); that version. */
export async function propagated(namerdPort: number, adminPort: number): Promise<string> {
  const { version } = await stored(namerdPort)
  await eventually(
    `the proxy to route on version ${version}`,
    async () => (await routerState(adminPort)).version === version,
  )
  return version
}

export interface StartedProxy {
  readonly proc: Proc
  /** Its first router's port. */
  readonly port: number
  readonly adminPort: number
}

/**
 * switchyard-proxy on the config file `config`, with the flags its command's shebang sets
 * (docs/decisions.md §3); resolves once its first router and its admin port listen.
 */
export async function startProxy(
  t: Parameters<typeof run>[0],
  name: string,
  config: string,
  options: { readonly env?: Readonly<Record<string, string>>; readonly preload?: string } = {},
): Promise<StartedProxy> {
  const preload = options.preload === undefined ? [] : ['--import', options.preload]
  const args = [...preload, ...PROXY_NODE_FLAGS, PROXY, '--config', config]
  const proc = run(t, name, NODE, args, options.env === undefined ? {} : { env: options.env })
  const port = portOf(await proc.waitFor(/router listening/))
  const adminPort = portOf(await proc.waitFor(/admin listening/))
  return { proc, port, adminPort }
}
