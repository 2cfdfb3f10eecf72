// The rollout commands' test world: namerd (file store, io.l5d.fs) as a process with the dtab
// `internal`, namerctl as a process, and the controller's states written straight to the store
// (CAS, as the controller does) where a test holds the controller back.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { type DtabStore, openFileStore, VersionMismatchError } from '@switchyard/store'
import { Rollout, type RolloutEvent } from '@switchyard/wire'
import type { Test } from 'tap'
import { startProcess } from '../../namerd/test/helpers.js'
import { NAMERCTL_BIN, ROOT, runCli, tempDir } from './helpers.js'

export const DTAB = `/srv        => /#/io.l5d.fs;
/host       => /srv;
/host/world => /srv/world-v1;
/host/hello => /srv/hello-v1;
`

export interface World {
  readonly base: string
  readonly store: DtabStore
  readonly stop: () => Promise<unknown>
  /** namerd again on the same address and store. */
  readonly restart: () => Promise<void>
  cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }>
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

/** namerd on a fixed port; `tickMs` 60000 keeps its controller from taking any request. */
export async function world(t: Test, options: { tickMs?: number } = {}): Promise<World> {
  const dir = await tempDir(t, 'namerctl-rollout-audit-')
  const disco = join(dir, 'disco')
  await mkdir(disco)
  for (const name of ['world-v1', 'world-v2', 'hello-v1', 'hello-v2']) {
    await writeFile(join(disco, name), '10.0.0.5 8080\n')
  }
  const data = join(dir, 'store')
  const config = join(dir, 'namerd.yaml')
  await writeFile(
    config,
    [
      `store: ${JSON.stringify(`file:${data}`)}`,
      'namers:',
      `  - {kind: io.l5d.fs, rootDir: ${JSON.stringify(disco)}}`,
      ...(options.tickMs === undefined ? [] : [`rollouts: {tickMs: ${options.tickMs}}`]),
      '',
    ].join('\n'),
  )
  const listen = `127.0.0.1:${await freePort()}`
  let proc = await startProcess(t, ['--listen', listen, '--config', config])
  const base = proc.base
  const cli = (args: readonly string[]) => runCli(args, { env: { NAMERCTL_BASE_URL: base } })
  const created = await runCli(['dtab', 'create', 'internal', '-'], {
    env: { NAMERCTL_BASE_URL: base },
    stdin: DTAB,
  })
  t.equal(created.code, 0, created.stderr)
  const store = await openFileStore(data, { pollIntervalMs: 50 })
  t.teardown(() => store.close())
  t.teardown(() => proc.stop())
  return {
    base,
    store,
    cli,
    stop: () => proc.stop(),
    restart: async () => {
      proc = await startProcess(t, ['--listen', listen, '--config', config])
    },
  }
}

/** A namerctl process whose output can be awaited line by line, and signalled. */
export function spawnCli(base: string, args: readonly string[]) {
  const child: ChildProcess = spawn(process.execPath, [NAMERCTL_BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NAMERCTL_BASE_URL: base },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const done = new Promise<number | null>((r) => child.once('close', (code) => r(code)))
  return {
    child,
    done,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
  }
}

export async function start(t: Test, w: World, extra: string[] = []): Promise<Rollout> {
  const r = await w.cli([
    'rollout',
    'start',
    'internal',
    '/host/world',
    '--to',
    '/srv/world-v2',
    '--interval',
    '1s',
    '--json',
    ...extra,
  ])
  t.equal(r.code, 0, r.stderr)
  return Rollout.parse(JSON.parse(r.stdout))
}

/** Changes the stored rollout by CAS, as the controller would. */
export async function change(
  store: DtabStore,
  r: Rollout,
  f: (r: Rollout) => Rollout,
): Promise<Rollout> {
  for (;;) {
    const found = (await store.rollouts!.get(r.namespace, r.id))!
    const next = f(found.rollout)
    try {
      await store.rollouts!.update(next, found.version)
      return next
    } catch (err) {
      if (!(err instanceof VersionMismatchError)) throw err
    }
  }
}

export function ended(phase: 'succeeded' | 'rolled-back' | 'stopped' | 'aborted', why: string) {
  return (r: Rollout): Rollout => {
    const time = new Date().toISOString()
    const event: RolloutEvent = {
      seq: (r.events.at(-1)?.seq ?? 0) + 1,
      time,
      from: r.phase,
      to: phase,
      step: r.step,
      weight: null,
      who: 'controller@test',
      why,
      dtabVersion: null,
    }
    return {
      ...r,
      phase,
      requests: [],
      events: [...r.events, event],
      endedAt: time,
      outcome: why,
    }
  }
}

export async function stored(w: World, id: string): Promise<Rollout> {
  return (await w.store.rollouts!.get('internal', id))!.rollout
}

export const TEN = '/host/world=>10.00*/srv/world-v2 & 90.00*/srv/world-v1'

/** In step `step` (0-based), its 10% written and its window open, as the controller leaves it. */
export function inStep(step: number) {
  return (x: Rollout): Rollout => {
    const at = new Date().toISOString()
    return {
      ...x,
      phase: 'step',
      step,
      lastWritten: { version: 'v1', dentry: TEN },
      stepRecords: [
        {
          index: step,
          weight: x.steps[step]!,
          startedAt: at,
          shiftedVersion: 'v1',
          windowStart: at,
          windowEnd: null,
          checks: 0,
          verdict: 'pending',
          from: null,
          to: null,
          failed: null,
        },
      ],
    }
  }
}
