// Rollouts and leases of the file store, in the same directory as the dtabs and with the same
// compare-and-swap (link(2) of numbered records, file-layout.ts):
//
//   <root>/rollouts/<ns>/<id>/<seq>.json               {format, seq, rollout}; the newest is the
//                                                      state, `rollout: null` a pruned one's tombstone
//   <root>/rollouts-active/<ns>/<hash16>/<seq>.json    claims of a (namespace, prefix): the newest
//                                                      names the rollout that holds it ({id}, or
//                                                      {id: null} when a failed create gave it back)
//   <root>/leases/<name>/<seq>.json                    {format, seq, lease}; `lease: null` deleted
//
// A version is the record number as an 8-byte counter. Numbers only grow (a tombstone is a record
// too), so a version is never reused and a stale writer's link fails.
//
// One active rollout per prefix: create links the next claim of the prefix's claim directory,
// naming its id, after checking that the rollout the newest claim names is terminal (or gone),
// then links the rollout's first record. Two creators race on the claim's number; one wins.
// A terminal update frees the prefix without touching the claim: the claim's rollout is terminal.
// A claim whose rollout never appeared (its creator died between the two links) is taken as
// stale after CLAIM_GRACE_MS.
//
// Watches poll: one scanner per store instance reads the head of every rollout each
// `pollIntervalMs` while anyone watches, and at once after this instance writes; it sends every
// record between the last one it saw and the head, in order, so no change is skipped unless it
// was pruned in between (records kept per rollout: RECORDS_KEPT).
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isTerminal, type Rollout } from '@switchyard/wire'
import { z } from 'zod'
import { errno, linkFile, pruneSeqDir, seqFiles, seqPath } from './file-layout.js'
import type { StoreLogger } from './k8s-health.js'
import { checkNamespace, isValidNamespace } from './namespace.js'
import {
  LEASE_NAME,
  type LeaseRecord,
  type LeaseStore,
  type LeaseWrite,
  RolloutActiveError,
  RolloutExistsError,
  type RolloutListFilter,
  RolloutNotFoundError,
  type RolloutStore,
  type RolloutStoreEvent,
  type VersionedRollout,
} from './rollouts.js'
import {
  checkLease,
  checkRollout,
  leaseJson,
  listed,
  prefixHash,
  prunable,
  type RolloutChannel,
  readLease,
  readStoredRollout,
  rolloutChannel,
  rolloutSubject,
} from './rollouts-common.js'
import {
  CorruptEntryError,
  StoreClosedError,
  StoreError,
  StoreUnavailableError,
  VersionMismatchError,
  type WatchOptions,
} from './store.js'
import { counterVersion, versionCounter } from './version.js'

export const ROLLOUT_FORMAT = 'switchyard.rollout/v1'
export const LEASE_FORMAT = 'switchyard.lease/v1'
const RECORDS_KEPT = 16
const LEASE_RECORDS_KEPT = 4
const CLAIM_GRACE_MS = 10_000
const MAX_ATTEMPTS = 1000
const ROLLOUT_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

const Envelope = z.object({ format: z.string(), seq: z.int() }).loose()

export interface FileRolloutPaths {
  readonly root: string
  readonly tmp: string
}

/** A directory's newest record: its number (0: none) and text (null: none, or it vanished). */
interface Head {
  readonly seq: number
  readonly text: string | null
  readonly path: string
}

async function head(dir: string): Promise<Head> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const seq = (await seqFiles(dir)).seqs.at(-1)
    if (seq === undefined) return { seq: 0, text: null, path: seqPath(dir, 0) }
    const path = seqPath(dir, seq)
    try {
      return { seq, text: await readFile(path, 'utf8'), path }
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err
    }
  }
  throw new StoreUnavailableError(
    `file store: the newest record in ${dir} keeps vanishing; is something else deleting files there?`,
  )
}

async function dirNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
  } catch (err) {
    if (errno(err) === 'ENOENT') return []
    throw err
  }
}

type RolloutState =
  | { readonly type: 'absent'; readonly seq: number }
  | {
      readonly type: 'present'
      readonly seq: number
      readonly rollout: Rollout
      readonly version: Uint8Array
    }
  | { readonly type: 'corrupt'; readonly seq: number; readonly error: CorruptEntryError }

function rolloutState(namespace: string, id: string, h: Head): RolloutState {
  if (h.text === null) return { type: 'absent', seq: h.seq }
  const version = counterVersion(h.seq)
  const bad = (detail: string) => ({
    type: 'corrupt' as const,
    seq: h.seq,
    error: new CorruptEntryError(namespace, h.path, `rollout ${id}: ${detail}`, version),
  })
  let json: unknown
  try {
    json = JSON.parse(h.text)
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`)
  }
  const env = Envelope.safeParse(json)
  if (!env.success || env.data.format !== ROLLOUT_FORMAT || env.data.seq !== h.seq) {
    return bad(`not a ${ROLLOUT_FORMAT} record numbered ${h.seq}`)
  }
  const body = (json as { rollout?: unknown }).rollout
  if (body === null) return { type: 'absent', seq: h.seq }
  try {
    const rollout = readStoredRollout(namespace, id, JSON.stringify(body), h.path, version)
    return { type: 'present', seq: h.seq, rollout, version }
  } catch (err) {
    if (err instanceof CorruptEntryError) return { type: 'corrupt', seq: h.seq, error: err }
    throw err
  }
}

export class FileRollouts implements RolloutStore {
  private readonly dir: string
  private readonly activeDir: string
  private readonly hub: RolloutScanner

  constructor(
    private readonly paths: FileRolloutPaths,
    private readonly isClosed: () => boolean,
    pollIntervalMs: number,
    log?: StoreLogger,
  ) {
    this.dir = join(paths.root, 'rollouts')
    this.activeDir = join(paths.root, 'rollouts-active')
    this.hub = new RolloutScanner(this, pollIntervalMs, log)
  }

  rolloutDir(namespace: string, id: string): string {
    return join(this.dir, namespace, id)
  }

  async get(namespace: string, id: string): Promise<VersionedRollout | null> {
    return this.guard(async () => {
      if (!isValidNamespace(namespace) || !ROLLOUT_ID.test(id)) return null
      const s = await this.state(namespace, id)
      if (s.type === 'corrupt') throw s.error
      return s.type === 'present' ? { rollout: s.rollout, version: s.version } : null
    })
  }

  async list(filter?: RolloutListFilter): Promise<VersionedRollout[]> {
    return this.guard(async () => {
      const all: VersionedRollout[] = []
      for (const s of await this.scan(filter?.namespace)) {
        if (s.state.type === 'present') {
          all.push({ rollout: s.state.rollout, version: s.state.version })
        }
      }
      return listed(all, filter)
    })
  }

  async create(rollout: Rollout): Promise<Uint8Array> {
    const r = checkRollout(rollout)
    checkNamespace(r.namespace)
    return this.guard(async () => {
      const dir = this.rolloutDir(r.namespace, r.id)
      const claims = join(this.activeDir, r.namespace, prefixHash(r.namespace, r.prefix))
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const current = await this.state(r.namespace, r.id)
        if (current.type !== 'absent') throw new RolloutExistsError(r.namespace, r.id)
        let claimed: number | null = null
        if (!isTerminal(r.phase)) {
          const claim = await head(claims)
          const holder = claimId(claim.text)
          if (holder !== null && (await this.holds(r.namespace, r.prefix, holder, claim))) {
            throw new RolloutActiveError(r.namespace, r.prefix, holder)
          }
          const text = `${JSON.stringify({ id: r.id, prefix: r.prefix })}\n`
          if (!(await linkFile(this.paths.tmp, claims, claim.seq + 1, text))) continue
          claimed = claim.seq + 1
        }
        const seq = current.seq + 1
        if (await linkFile(this.paths.tmp, dir, seq, recordText(seq, r))) {
          if (claimed !== null) await pruneSeqDir(claims, claimed, 1).catch(() => {})
          this.hub.poke()
          return counterVersion(seq)
        }
        // Another creator took this id between our read and our link: give the claim back.
        if (claimed !== null) await this.unclaim(claims, claimed, r.prefix)
        throw new RolloutExistsError(r.namespace, r.id)
      }
      throw this.busy(r)
    })
  }

  async update(rollout: Rollout, version: Uint8Array): Promise<Uint8Array> {
    const r = checkRollout(rollout)
    return this.guard(async () => {
      if (!isValidNamespace(r.namespace)) throw new RolloutNotFoundError(r.namespace, r.id)
      const s = await this.state(r.namespace, r.id)
      if (s.type === 'absent') throw new RolloutNotFoundError(r.namespace, r.id)
      if (versionCounter(version) !== s.seq) {
        throw new VersionMismatchError(
          r.namespace,
          version,
          counterVersion(s.seq),
          rolloutSubject(r),
        )
      }
      // A corrupt head may be replaced by a writer that read its version (from the error).
      const prefix = s.type === 'present' ? s.rollout.prefix : r.prefix
      const seq = s.seq + 1
      const dir = this.rolloutDir(r.namespace, r.id)
      if (!(await linkFile(this.paths.tmp, dir, seq, recordText(seq, { ...r, prefix })))) {
        const now = await this.state(r.namespace, r.id)
        throw new VersionMismatchError(
          r.namespace,
          version,
          counterVersion(now.seq),
          rolloutSubject(r),
        )
      }
      await pruneSeqDir(dir, seq, RECORDS_KEPT).catch(() => {})
      this.hub.poke()
      return counterVersion(seq)
    })
  }

  watch(options: WatchOptions = {}): AsyncIterableIterator<RolloutStoreEvent> {
    if (this.isClosed()) throw new StoreClosedError()
    return this.hub.watch(options)
  }

  async prune(before: Date, keep: number): Promise<number> {
    return this.guard(async () => {
      const present = (await this.scan()).flatMap((s) =>
        s.state.type === 'present' ? [s.state] : [],
      )
      let removed = 0
      for (const r of prunable(
        present.map((p) => p.rollout),
        before,
        keep,
      )) {
        const at = present.find(
          (p) => p.rollout.namespace === r.namespace && p.rollout.id === r.id,
        )!
        const dir = this.rolloutDir(r.namespace, r.id)
        const seq = at.seq + 1
        // A tombstone, by compare-and-swap: a rollout changed since the scan is left alone.
        if (await linkFile(this.paths.tmp, dir, seq, recordText(seq, null))) {
          await pruneSeqDir(dir, seq, 1).catch(() => {})
          removed++
        }
      }
      if (removed > 0) this.hub.poke()
      return removed
    })
  }

  close(): void {
    this.hub.close()
  }

  /** Every rollout's state (corrupt ones included), optionally in one namespace. */
  async scan(
    namespace?: string,
  ): Promise<{ namespace: string; id: string; state: RolloutState }[]> {
    const namespaces =
      namespace === undefined
        ? (await dirNames(this.dir)).filter(isValidNamespace)
        : isValidNamespace(namespace)
          ? [namespace]
          : []
    const out: { namespace: string; id: string; state: RolloutState }[] = []
    for (const ns of namespaces) {
      const ids = (await dirNames(join(this.dir, ns))).filter((id) => ROLLOUT_ID.test(id))
      const states = await Promise.all(ids.map((id) => this.state(ns, id)))
      ids.forEach((id, i) => {
        out.push({ namespace: ns, id, state: states[i]! })
      })
    }
    return out
  }

  async state(namespace: string, id: string): Promise<RolloutState> {
    return rolloutState(namespace, id, await head(this.rolloutDir(namespace, id)))
  }

  /** Reads record `seq` of a rollout (for the scanner's in-order replay); null if gone. */
  async record(namespace: string, id: string, seq: number): Promise<RolloutState | null> {
    const path = seqPath(this.rolloutDir(namespace, id), seq)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if (errno(err) === 'ENOENT') return null
      throw err
    }
    return rolloutState(namespace, id, { seq, text, path })
  }

  /** Whether the claim's rollout still holds the prefix. */
  private async holds(
    namespace: string,
    prefix: string,
    id: string,
    claim: Head,
  ): Promise<boolean> {
    const s = await this.state(namespace, id)
    if (s.type === 'present') return !isTerminal(s.rollout.phase) && s.rollout.prefix === prefix
    // Unreadable: it may well be active; refuse rather than risk two (fix or prune it by hand).
    if (s.type === 'corrupt') return true
    // Not written yet: its creator is between the claim and the record, or died there.
    const age = await stat(claim.path).then(
      (st) => Date.now() - st.mtimeMs,
      () => Number.POSITIVE_INFINITY,
    )
    return age < CLAIM_GRACE_MS
  }

  private async unclaim(claims: string, claimed: number, prefix: string): Promise<void> {
    const text = `${JSON.stringify({ id: null, prefix })}\n`
    await linkFile(this.paths.tmp, claims, claimed + 1, text).catch(() => false)
  }

  private busy(r: Rollout): StoreUnavailableError {
    return new StoreUnavailableError(
      `file store at ${this.paths.root}: the claims of ${r.prefix} in ${JSON.stringify(r.namespace)} changed on every one of ${MAX_ATTEMPTS} attempts`,
    )
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    if (this.isClosed()) throw new StoreClosedError()
    try {
      return await run()
    } catch (err) {
      if (err instanceof StoreError || err instanceof z.ZodError) throw err
      const detail = err instanceof Error ? err.message : String(err)
      throw new StoreUnavailableError(`file store at ${this.paths.root}: ${detail}`, err)
    }
  }
}

function claimId(text: string | null): string | null {
  if (text === null) return null
  try {
    const json: unknown = JSON.parse(text)
    const id = (json as { id?: unknown }).id
    return typeof id === 'string' ? id : null
  } catch {
    return null
  }
}

function recordText(seq: number, rollout: Rollout | null): string {
  return `${JSON.stringify({ format: ROLLOUT_FORMAT, seq, rollout })}\n`
}

/**
 * The file store's rollout watches: one scan loop for all of them, running while anyone
 * watches. New watchers get the scanner's picture (every rollout, then `synced`) after a scan.
 */
class RolloutScanner {
  /** Per rollout, the last record number sent, and whether it is present. */
  private known = new Map<string, { seq: number; present: boolean }>()
  /** Latest event per rollout, for new watchers. */
  private latest = new Map<string, RolloutStoreEvent & { type: 'rollout' }>()
  private live = new Set<RolloutChannel>()
  private fresh: RolloutChannel[] = []
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private dirty = false
  private primed = false

  constructor(
    private readonly store: FileRollouts,
    private readonly pollIntervalMs: number,
    private readonly log?: StoreLogger,
  ) {}

  watch(options: WatchOptions): RolloutChannel {
    const channel = rolloutChannel(options, () => {
      this.live.delete(channel)
      this.fresh = this.fresh.filter((c) => c !== channel)
      if (!this.active()) this.stop()
    })
    const starting = !this.active()
    this.fresh.push(channel)
    if (starting) {
      this.primed = false
      this.known.clear()
      this.latest.clear()
      this.timer = setInterval(() => this.poke(), this.pollIntervalMs)
      this.timer.unref?.()
    }
    this.poke()
    return channel
  }

  poke(): void {
    if (!this.active()) return
    this.dirty = true
    if (this.running) return
    this.running = (async () => {
      while (this.dirty && this.active()) {
        this.dirty = false
        try {
          await this.scan()
        } catch (err) {
          this.log?.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'rollout watch: scan failed; retrying',
          )
        }
      }
    })().finally(() => {
      this.running = null
    })
  }

  close(): void {
    for (const c of [...this.fresh, ...this.live]) c.end()
    this.stop()
  }

  private active(): boolean {
    return this.fresh.length > 0 || this.live.size > 0
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  private emit(event: RolloutStoreEvent): void {
    if (event.type === 'rollout') {
      this.latest.set(`${event.rollout.namespace}\u0000${event.rollout.id}`, event)
    }
    // Before the first scan is done, nobody is live: the picture is sent whole to fresh watchers.
    for (const c of this.live) c.push(event)
  }

  private async scan(): Promise<void> {
    const seen = new Set<string>()
    for (const { namespace, id, state } of await this.store.scan()) {
      const key = `${namespace}\u0000${id}`
      seen.add(key)
      const known = this.known.get(key)
      if (known && known.seq === state.seq) continue
      if (state.type === 'corrupt') {
        this.log?.warn(
          { namespace, id, err: state.error.message },
          'rollout watch: skipping a corrupt rollout',
        )
        this.known.set(key, { seq: state.seq, present: known?.present ?? false })
        continue
      }
      // Replay the records in between, in order, where they are still there.
      if (known && this.primed) {
        for (let seq = known.seq + 1; seq < state.seq; seq++) {
          const mid = await this.store.record(namespace, id, seq)
          if (mid?.type === 'present') {
            this.emit({ type: 'rollout', rollout: mid.rollout, version: mid.version })
          }
        }
      }
      if (state.type === 'present') {
        this.emit({ type: 'rollout', rollout: state.rollout, version: state.version })
      } else if (known?.present) {
        this.latest.delete(key)
        this.emit({ type: 'removed', namespace, id })
      }
      this.known.set(key, { seq: state.seq, present: state.type === 'present' })
    }
    for (const [key, k] of this.known) {
      if (seen.has(key)) continue
      this.known.delete(key)
      if (k.present) {
        const [namespace, id] = key.split('\u0000') as [string, string]
        this.latest.delete(key)
        this.emit({ type: 'removed', namespace, id })
      }
    }
    this.primed = true
    const fresh = this.fresh
    this.fresh = []
    const picture = listed(
      [...this.latest.values()].map((e) => ({ rollout: e.rollout, version: e.version })),
    )
    for (const c of fresh) {
      if (c.closed) continue
      for (const v of picture) c.push({ type: 'rollout', rollout: v.rollout, version: v.version })
      c.push({ type: 'synced' })
      this.live.add(c)
    }
  }
}

// --- leases ------------------------------------------------------------------------------------

export class FileLeases implements LeaseStore {
  private readonly dir: string

  constructor(
    private readonly paths: FileRolloutPaths,
    private readonly isClosed: () => boolean,
  ) {
    this.dir = join(paths.root, 'leases')
  }

  async get(name: string): Promise<LeaseRecord | null> {
    return this.guard(async () => {
      if (!LEASE_NAME.test(name)) return null
      return (await this.read(name)).lease
    })
  }

  async list(prefix: string): Promise<LeaseRecord[]> {
    return this.guard(async () => {
      const names = (await dirNames(this.dir))
        .filter((n) => LEASE_NAME.test(n) && n.startsWith(prefix))
        .sort()
      const leases = await Promise.all(names.map((n) => this.read(n)))
      return leases.flatMap((l) => (l.lease ? [l.lease] : []))
    })
  }

  async write(name: string, next: LeaseWrite, expected: Uint8Array | null): Promise<LeaseRecord> {
    checkLease(name, next)
    return this.guard(async () => {
      const seq = await this.expect(name, expected)
      const dir = join(this.dir, name)
      const text = `${JSON.stringify({ format: LEASE_FORMAT, seq, lease: JSON.parse(leaseJson(next)) })}\n`
      if (!(await linkFile(this.paths.tmp, dir, seq, text))) {
        throw new VersionMismatchError('', expected ?? new Uint8Array(0), null, `lease ${name}`)
      }
      await pruneSeqDir(dir, seq, LEASE_RECORDS_KEPT).catch(() => {})
      return { name, ...next, version: counterVersion(seq) }
    })
  }

  async delete(name: string, expected: Uint8Array): Promise<void> {
    await this.guard(async () => {
      const seq = await this.expect(name, expected)
      const dir = join(this.dir, name)
      const text = `${JSON.stringify({ format: LEASE_FORMAT, seq, lease: null })}\n`
      if (!(await linkFile(this.paths.tmp, dir, seq, text))) {
        throw new VersionMismatchError('', expected, null, `lease ${name}`)
      }
      await pruneSeqDir(dir, seq, 1).catch(() => {})
    })
  }

  /** Checks `expected` against the head; returns the number the write takes. */
  private async expect(name: string, expected: Uint8Array | null): Promise<number> {
    const { seq, lease } = await this.read(name)
    const ok =
      expected === null ? lease === null : lease !== null && versionCounter(expected) === seq
    if (!ok) {
      throw new VersionMismatchError(
        '',
        expected ?? new Uint8Array(0),
        lease ? counterVersion(seq) : null,
        `lease ${name}`,
      )
    }
    return seq + 1
  }

  /** The head; a lease that cannot be read counts as absent (a new write replaces it). */
  private async read(name: string): Promise<{ seq: number; lease: LeaseRecord | null }> {
    const h = await head(join(this.dir, name))
    if (h.text === null) return { seq: h.seq, lease: null }
    let body: unknown
    try {
      body = (JSON.parse(h.text) as { lease?: unknown }).lease
    } catch {
      return { seq: h.seq, lease: null }
    }
    const lease = body === null || body === undefined ? null : readLease(JSON.stringify(body))
    return { seq: h.seq, lease: lease ? { name, ...lease, version: counterVersion(h.seq) } : null }
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    if (this.isClosed()) throw new StoreClosedError()
    try {
      return await run()
    } catch (err) {
      if (err instanceof StoreError) throw err
      const detail = err instanceof Error ? err.message : String(err)
      throw new StoreUnavailableError(`file store at ${this.paths.root}: ${detail}`, err)
    }
  }
}
