// What the rollout end-to-end tests share (rollouts.test.ts, rollouts-replicas.test.ts,
// rollouts-prometheus.test.ts): the tunable world backends published to an io.l5d.fs namer,
// namerd's and the proxy's config files with the short timings of docs/design/rollouts.md §7,
// namerctl run as a CI job runs it (exit code kept, never thrown), and reads of a rollout and
// of a dtab's exact text through namerd's HTTP API. Everything is a real process on loopback.
import { execFile } from 'node:child_process'
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Rollout } from '@switchyard/wire'
import type { Test } from 'tap'
import * as mesh from './mesh.js'
import { eventually, type Proc, portOf, ROOT, run } from './processes.js'
import { describeLoad, type SteadyLoadResult, startSteadyLoad } from './steady-load.js'

type T = Parameters<typeof run>[0]

/** §7's timings: a healthy 10/50/100 rollout takes about 2 s under 200 req/s. */
export const TIMINGS = {
  intervalMs: 300,
  tickMs: 50,
  scrapeMs: 100,
  leaseMs: 1000,
  presenceMs: 200,
  minRequests: 20,
} as const

/** Requests a second of steady load through the proxy during every rollout. */
export const LOAD_RATE = 200

export const NAMESPACE = 'internal'
export const PREFIX = '/host/world'
export const FROM = '/srv/world-v1'
export const TO = '/srv/world-v2'

/** The namespace every rollout test starts from: world on v1 through the fs namer. */
export const INITIAL_DTAB = `/srv => /#/io.l5d.fs;
/host => /srv;
/svc => /host;
/host/world => /srv/world-v1;
`

/** Lists `ports` as the endpoints of `name` for the fs namer in `disco`, atomically. */
export function publish(disco: string, name: string, ...ports: number[]): void {
  const tmp = join(disco, `.${name}.tmp`)
  writeFileSync(tmp, ports.map((p) => `127.0.0.1 ${p}\n`).join(''))
  renameSync(tmp, join(disco, name))
}

export interface TunableWorld {
  readonly proc: Proc
  readonly port: number
  /** POST /tunable: the failure rate (0..1) and latency from now on. */
  tune(failRate: number, delayMs: number): Promise<void>
  /** Requests it has answered so far (world requests, not /tunable). */
  requests(): Promise<number>
}

/** test/e2e/fixtures/tunable-world.ts as `version`, on a port of its own. */
export async function tunableWorld(
  t: T,
  version: string,
  { failRate = 0, delayMs = 0 }: { failRate?: number; delayMs?: number } = {},
): Promise<TunableWorld> {
  const proc = run(t, `world-${version}`, mesh.NODE, [
    ...mesh.TSX,
    'test/e2e/fixtures/tunable-world.ts',
    '--port',
    '0',
    '--version',
    version,
    '--fail-rate',
    String(failRate),
    '--delay-ms',
    String(delayMs),
  ])
  const port = portOf(await proc.waitFor(/world listening/))
  const base = `http://127.0.0.1:${port}/tunable`
  return {
    proc,
    port,
    async tune(failRate, delayMs) {
      const res = await fetch(base, { method: 'POST', body: JSON.stringify({ failRate, delayMs }) })
      if (res.status !== 200) throw new Error(`tune ${version}: ${res.status} ${await res.text()}`)
    },
    async requests() {
      const res = await fetch(base)
      return ((await res.json()) as { requests: number }).requests
    },
  }
}

/** namerd's config: `store`, the fs namer on `disco`, and the rollouts block with §7's timings. */
export function namerdConfig(store: string, disco: string, replicaId: string): string {
  return `store: ${store}
namers:
  - {kind: io.l5d.fs, rootDir: ${disco}}
rollouts:
  tickMs: ${TIMINGS.tickMs}
  scrapeMs: ${TIMINGS.scrapeMs}
  leaseMs: ${TIMINGS.leaseMs}
  presenceMs: ${TIMINGS.presenceMs}
  replicaId: ${replicaId}
`
}

/** namerd on the config file `config`; resolves with its port once it listens. */
export async function startNamerd(
  t: T,
  name: string,
  config: string,
  port = 0,
): Promise<{ proc: Proc; port: number }> {
  const proc = run(t, name, mesh.NODE, [
    mesh.NAMERD,
    '--config',
    config,
    '--listen',
    `127.0.0.1:${port}`,
  ])
  return { proc, port: portOf(await proc.waitFor(/namerd listening/)) }
}

/** A proxy whose router `outgoing` watches `internal` on the namerd at `namerdPort`, and whose
 * admin server (on loopback, so namerd may read it) it names in every watch. */
export function proxyConfig(namerdPort: number, id = 'e2e-rollouts'): string {
  return `id: ${id}
admin: {ip: 127.0.0.1, port: 0}
routers:
  - label: outgoing
    interpreter: {kind: namerd, dst: http://127.0.0.1:${namerdPort}, namespace: ${NAMESPACE}, retry: {baseSeconds: 0.2, maxSeconds: 1}}
    servers: [{ip: 127.0.0.1, port: 0}]
`
}

export interface Cli {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** namerctl against namerd at `namerdPort`, as a CI job runs it: the exit code is the verdict. */
export function namerctl(
  namerdPort: number,
  args: readonly string[],
  { stdin = '', timeoutMs = 60_000 }: { stdin?: string; timeoutMs?: number } = {},
): Promise<Cli> {
  return new Promise((resolve) => {
    const child = execFile(
      mesh.NODE,
      [mesh.NAMERCTL, '--base-url', `http://127.0.0.1:${namerdPort}`, ...args],
      { cwd: ROOT, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code =
          err === null ? 0 : typeof err.code === 'number' ? err.code : (child.exitCode ?? -1)
        resolve({ code, stdout, stderr })
      },
    )
    child.stdin!.end(stdin)
  })
}

/** Says what a namerctl run did, for an assertion's message. */
export const said = (r: Cli) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`

/** The rollout spec's flags every test uses (the thresholds and §7's timings). */
export function startArgs(extra: readonly string[]): string[] {
  return [
    'rollout',
    'start',
    NAMESPACE,
    PREFIX,
    '--from',
    FROM,
    '--to',
    TO,
    '--interval',
    `${TIMINGS.intervalMs}ms`,
    '--min-success',
    '99%',
    '--max-p99',
    '300ms',
    '--min-requests',
    String(TIMINGS.minRequests),
    '--reason',
    'e2e',
    '--json',
    ...extra,
  ]
}

/** The smoke flags: 20 requests through the proxy's server with Host world, 2xx expected. */
export function smokeArgs(proxyPort: number): string[] {
  return [
    '--smoke-url',
    `http://127.0.0.1:${proxyPort}/`,
    '--smoke-host',
    'world',
    '--smoke-requests',
    '20',
    '--smoke-expect',
    '2xx',
  ]
}

/** The id of the rollout a `rollout start --json` created (its stdout is the Rollout). */
export function startedId(r: Cli): string {
  const parsed = Rollout.safeParse(JSON.parse(r.stdout))
  if (!parsed.success) {
    throw new Error(`rollout start --json printed no Rollout: ${parsed.error.message}\n${said(r)}`)
  }
  return parsed.data.id
}

/** The rollout as namerd serves it, checked against the wire schema. */
export async function rollout(namerdPort: number, id: string): Promise<Rollout> {
  const res = await fetch(`http://127.0.0.1:${namerdPort}/api/1/rollouts/${NAMESPACE}/${id}`)
  if (res.status !== 200) throw new Error(`GET rollout ${id}: ${res.status} ${await res.text()}`)
  return Rollout.parse(await res.json())
}

/** Polls the rollout until `done` says so; the last state read. */
export async function until(
  namerdPort: number,
  id: string,
  what: string,
  done: (r: Rollout) => boolean,
  timeoutMs = 30_000,
): Promise<Rollout> {
  let last: Rollout | null = null
  await eventually(
    `rollout ${id} to be ${what}`,
    async () => {
      last = await rollout(namerdPort, id)
      return done(last)
    },
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(last, null, 1)}`)
  })
  return last!
}

/** The namespace's dtab as namerd's text form (application/dtab) and its version. */
export async function dtabText(namerdPort: number): Promise<{ version: string; text: string }> {
  const res = await fetch(`http://127.0.0.1:${namerdPort}/api/1/dtabs/${NAMESPACE}`, {
    headers: { accept: 'application/dtab' },
  })
  if (res.status !== 200) throw new Error(`GET dtab ${NAMESPACE}: ${res.status}`)
  return { version: res.headers.get('etag') ?? '', text: await res.text() }
}

/** A dtab's text without whitespace or a last `;`, to compare two renderings of it. */
export const squash = (text: string) => text.replace(/\s+/g, '').replace(/;$/, '')

/** Writes `text` as the namespace's dtab, whatever it holds now (creating it if missing). */
export async function putDtab(namerdPort: number, text: string): Promise<void> {
  const put = () =>
    fetch(`http://127.0.0.1:${namerdPort}/api/1/dtabs/${NAMESPACE}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab' },
      body: text,
    })
  const res = await put()
  if (res.status >= 300) throw new Error(`PUT dtab ${NAMESPACE}: ${res.status} ${await res.text()}`)
}

/** The dentry with exactly `prefix` in a dtab's text (the last one, as lookups use), as
 * `<prefix> => <tree>` with single spaces, or null. */
export function dentryOf(text: string, prefix = PREFIX): string | null {
  const found = text
    .split(';')
    .map((d) => d.split('=>').map((side) => side.trim().replace(/\s+/g, ' ')))
    .filter(([p, dst]) => p === prefix && dst !== undefined)
  const last = found.at(-1)
  return last === undefined ? null : `${last[0]} => ${last[1]}`
}

/** Until the proxy routes on the version namerd holds now. */
export function propagated(namerdPort: number, adminPort: number): Promise<string> {
  return mesh.propagated(namerdPort, adminPort)
}

/** A namerctl process left running (e.g. `rollout watch`), with its exit code when it ends. */
export interface Running {
  readonly result: Promise<Cli>
}

export function namerctlRunning(namerdPort: number, args: readonly string[]): Running {
  return { result: namerctl(namerdPort, args, { timeoutMs: 90_000 }) }
}

/** A rollout run by `runScenario`, as it ended. */
export interface Scenario {
  readonly id: string
  /** The rollout as it ended. */
  readonly ended: Rollout
  readonly load: SteadyLoadResult
  /** `namerctl rollout watch`'s exit code and output, run from the start to the end. */
  readonly watch: Cli
  /** The dtab (text and version) the rollout started from. */
  readonly before: { version: string; text: string }
}

export interface ScenarioWorld {
  readonly namerdPort: number
  readonly proxy: { readonly port: number; readonly adminPort: number }
  readonly v2: TunableWorld
}

const TERMINAL = ['succeeded', 'rolled-back', 'aborted', 'stopped']

/**
 * Puts world back on v1, tunes v2, starts 200 req/s of load through the proxy, then the
 * rollout with `args` (after startArgs' common flags), and `rollout watch` on it; `during`
 * runs while the rollout is in flight. Resolves once the rollout is terminal and the load
 * has drained. A start that fails fails `t` and throws.
 */
export async function runScenario(
  t: Test,
  world: ScenarioWorld,
  v2Tuning: { failRate: number; delayMs: number },
  args: readonly string[],
  during?: (id: string) => Promise<void>,
): Promise<Scenario> {
  const { namerdPort, proxy, v2 } = world
  await v2.tune(v2Tuning.failRate, v2Tuning.delayMs)
  // A write of the same text is a new version that no watch sees (a watch never repeats a
  // state), so the proxy would never report it: write only a dtab that differs.
  if (squash((await dtabText(namerdPort)).text) !== squash(INITIAL_DTAB)) {
    await putDtab(namerdPort, INITIAL_DTAB)
  }
  await propagated(namerdPort, proxy.adminPort)
  const before = await dtabText(namerdPort)
  const load = startSteadyLoad({ port: proxy.port, ratePerSec: LOAD_RATE, maxMs: 90_000 })
  // Some traffic on v1 first, so a step's baseline is not the proxy's first sight of world.
  await new Promise((r) => setTimeout(r, 300))
  const started = await namerctl(namerdPort, startArgs(args))
  if (started.code !== 0) {
    const result = await load.stop()
    t.fail(`rollout start failed: ${said(started)}\nload: ${describeLoad(result)}`)
    throw new Error('rollout start failed')
  }
  const id = startedId(started)
  const watch = namerctlRunning(namerdPort, ['rollout', 'watch', NAMESPACE, id])
  if (during !== undefined) await during(id)
  const ended = await until(namerdPort, id, 'in a terminal phase', (r) =>
    TERMINAL.includes(r.phase),
  )
  const result = await load.stop()
  t.comment(`${id}: ${ended.phase} (${ended.outcome}); load: ${describeLoad(result)}`)
  return { id, ended, load: result, watch: await watch.result, before }
}

/** The Done-when that holds for every scenario: no request went without a backend's answer. */
export function everyRequestAnswered(t: Test, load: SteadyLoadResult): void {
  t.ok(load.started > 100, `the load ran (${load.started} requests)`)
  t.same(
    load.unanswered.slice(0, 10),
    [],
    `every request got a backend's answer (${load.unanswered.length} of ${load.started} did not)`,
  )
}
