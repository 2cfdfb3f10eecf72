// What the dashboard's browser tests look at: every part a real process on loopback, as in the
// rollout end-to-end tests (test/e2e/rollouts-harness.ts, whose helpers this reuses): namerd on
// the file store in a temp dir with an io.l5d.fs namer and rollouts at §7's short timings (so a
// rollout ends in seconds), world-v1 and a tunable world-v2 published to the namer, and one or
// more switchyard-proxy processes watching the namespace `internal` and naming their admin
// servers (namerd reads their metrics for the traffic view and the rollouts). Load goes
// through a proxy, open loop (steady-load.ts) or a fixed number of requests (traffic.ts).
// Everything is stopped when the test ends.
import { mkdirSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as mesh from '../e2e/mesh.js'
import { eventually } from '../e2e/processes.js'
import {
  type Cli,
  dtabText,
  INITIAL_DTAB,
  NAMESPACE,
  namerctl,
  namerdConfig,
  proxyConfig,
  publish,
  putDtab,
  startNamerd,
  type TunableWorld,
  tunableWorld,
} from '../e2e/rollouts-harness.js'
import { type SteadyLoad, type SteadyLoadOptions, startSteadyLoad } from '../e2e/steady-load.js'
import { type Load, load } from '../e2e/traffic.js'

export { INITIAL_DTAB, NAMESPACE }

type T = Parameters<typeof startNamerd>[0]

export interface DashboardStack {
  /** namerd's address, `http://127.0.0.1:<port>`; the dashboard is at `/`. */
  readonly base: string
  readonly namerdPort: number
  readonly v1: TunableWorld
  readonly v2: TunableWorld
  readonly proxies: readonly mesh.StartedProxy[]
  /** The temp dir holding the store, the namer's files and the configs. */
  readonly dir: string
  /** namerctl against this namerd, as a CI job runs it (the exit code is the verdict). */
  namerctl(args: readonly string[], stdin?: string): Promise<Cli>
  /** PUTs `text` as the dtab of `ns` (default `internal`), no version check. */
  putDtab(text: string, ns?: string): Promise<void>
  /** The dtab of `ns` as namerd's text form and its version (ETag). */
  dtab(ns?: string): Promise<{ version: string; text: string }>
  /** Until every proxy routes on the version namerd holds now. */
  propagated(): Promise<string>
  /** `n` requests through the first proxy (Host world), counted by the version that answered. */
  load(n: number): Promise<Load>
  /** Open-loop load through the first proxy until stopped (default 50 req/s, at most 2 min). */
  steadyLoad(options?: Partial<SteadyLoadOptions>): SteadyLoad
}

export interface StackOptions {
  /** How many proxies watch `internal`; default 1. */
  readonly proxies?: number
  /** The dtab of `internal` at start (world on v1); null: no namespace. */
  readonly initialDtab?: string | null
}

/**
 * The arguments of `namerctl rollout start` moving `internal`'s /host/world from world-v1 to
 * world-v2 in steps of 10, 50 and 100%, with `more` (interval, gates, reason...) after them;
 * add `--json` to read the rollout from stdout.
 */
export function worldRolloutArgs(...more: readonly string[]): string[] {
  return [
    'rollout',
    'start',
    NAMESPACE,
    '/host/world',
    '--from',
    '/srv/world-v1',
    '--to',
    '/srv/world-v2',
    '--steps',
    '10,50,100',
    ...more,
  ]
}

/** Starts namerd, world-v1 and -v2 and the proxies; all stopped when `t` ends. */
export async function startDashboardStack(
  t: T,
  options: StackOptions = {},
): Promise<DashboardStack> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-dashboard-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const disco = join(dir, 'disco')
  mkdirSync(disco)
  const [v1, v2] = await Promise.all([tunableWorld(t, 'v1'), tunableWorld(t, 'v2')])
  publish(disco, 'world-v1', v1.port)
  publish(disco, 'world-v2', v2.port)
  const config = join(dir, 'namerd.yaml')
  await writeFile(config, namerdConfig(`file:${join(dir, 'store')}`, disco, 'namerd-dashboard'))
  const namerd = await startNamerd(t, 'namerd', config)
  const base = `http://127.0.0.1:${namerd.port}`
  const initial = options.initialDtab === undefined ? INITIAL_DTAB : options.initialDtab
  if (initial !== null) await putDtab(namerd.port, initial)

  const proxies: mesh.StartedProxy[] = []
  for (let i = 0; i < (options.proxies ?? 1); i++) {
    const file = join(dir, `proxy-${i + 1}.yaml`)
    await writeFile(file, proxyConfig(namerd.port, `proxy-${i + 1}`))
    proxies.push(await mesh.startProxy(t, `proxy-${i + 1}`, file))
  }
  const first = proxies[0]

  const dtabOf = async (ns = NAMESPACE) => {
    if (ns === NAMESPACE) return dtabText(namerd.port)
    const res = await fetch(`${base}/api/1/dtabs/${encodeURIComponent(ns)}`, {
      headers: { accept: 'application/dtab' },
    })
    if (res.status !== 200) throw new Error(`GET dtab ${ns}: ${res.status} ${await res.text()}`)
    return { version: res.headers.get('etag') ?? '', text: await res.text() }
  }

  return {
    base,
    namerdPort: namerd.port,
    v1,
    v2,
    proxies,
    dir,
    namerctl: (args, stdin) => namerctl(namerd.port, args, stdin === undefined ? {} : { stdin }),
    async putDtab(text, ns = NAMESPACE) {
      const res = await fetch(`${base}/api/1/dtabs/${encodeURIComponent(ns)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/dtab' },
        body: text,
      })
      if (res.status >= 300) throw new Error(`PUT dtab ${ns}: ${res.status} ${await res.text()}`)
    },
    dtab: dtabOf,
    async propagated() {
      const { version } = await dtabOf()
      for (const proxy of proxies) {
        await eventually(
          `${proxy.proc.name} to route on version ${version}`,
          async () => (await mesh.routerState(proxy.adminPort)).version === version,
        )
      }
      return version
    },
    load(n) {
      if (first === undefined) throw new Error('load: the stack has no proxy')
      return load(first.port, n)
    },
    steadyLoad(given = {}) {
      if (first === undefined) throw new Error('steadyLoad: the stack has no proxy')
      return startSteadyLoad({ port: first.port, ratePerSec: 50, maxMs: 120_000, ...given })
    },
  }
}
