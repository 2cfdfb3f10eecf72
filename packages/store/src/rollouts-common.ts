// What every RolloutStore and LeaseStore backend shares: reading a stored rollout through the zod
// schema (a bad entry fails that rollout only), the list order and filter, prune's choice, lease
// checks, the prefix hash that names an "active" marker, and the watch channel.
import { createHash } from 'node:crypto'
import { isTerminal, Rollout } from '@switchyard/wire'
import { z } from 'zod'
import {
  InvalidLeaseError,
  LEASE_NAME,
  type LeaseWrite,
  MAX_LEASE_DATA,
  type RolloutListFilter,
  type RolloutStoreEvent,
  type VersionedRollout,
} from './rollouts.js'
import { CorruptEntryError, type WatchOptions } from './store.js'
import { WatchChannel } from './watch-channel.js'

/** Parses stored rollout JSON; CorruptEntryError (naming the rollout and where) if it is not one. */
export function readStoredRollout(
  namespace: string,
  id: string,
  text: string,
  location: string,
  version: Uint8Array | null,
): Rollout {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw corrupt(namespace, id, location, `not JSON (${(err as Error).message})`, version, err)
  }
  const parsed = Rollout.safeParse(json)
  if (!parsed.success) {
    const detail = z.prettifyError(parsed.error).replace(/\n\s*/g, ' ')
    throw corrupt(namespace, id, location, detail, version, parsed.error)
  }
  if (parsed.data.namespace !== namespace || parsed.data.id !== id) {
    throw corrupt(
      namespace,
      id,
      location,
      `the entry says rollout ${parsed.data.id} in namespace ${JSON.stringify(parsed.data.namespace)}`,
      version,
    )
  }
  return parsed.data
}

function corrupt(
  namespace: string,
  id: string,
  location: string,
  detail: string,
  version: Uint8Array | null,
  cause?: unknown,
): CorruptEntryError {
  return new CorruptEntryError(namespace, location, `rollout ${id}: ${detail}`, version, cause)
}

/** Validates a rollout before it is stored (callers are code, but a bad one must not be written). */
export function checkRollout(rollout: Rollout): Rollout {
  return Rollout.parse(rollout)
}

/** How a VersionMismatchError names a rollout. */
export function rolloutSubject(r: { readonly namespace: string; readonly id: string }): string {
  return `rollout ${r.id} in namespace ${JSON.stringify(r.namespace)}`
}

export function rolloutJson(rollout: Rollout): string {
  return JSON.stringify(rollout)
}

/** Sorted by namespace, then createdAt, then id; filtered. */
export function listed(
  all: VersionedRollout[],
  filter: RolloutListFilter = {},
): VersionedRollout[] {
  return all
    .filter(
      (v) =>
        (filter.namespace === undefined || v.rollout.namespace === filter.namespace) &&
        (filter.active === undefined || filter.active === !isTerminal(v.rollout.phase)),
    )
    .sort(
      (a, b) =>
        cmp(a.rollout.namespace, b.rollout.namespace) ||
        cmp(a.rollout.createdAt, b.rollout.createdAt) ||
        cmp(a.rollout.id, b.rollout.id),
    )
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Which terminal rollouts prune removes: those that ended before `before`, except the newest
 * `keep` terminal ones of each namespace.
 */
export function prunable(all: readonly Rollout[], before: Date, keep: number): Rollout[] {
  const byNs = new Map<string, Rollout[]>()
  for (const r of all) {
    if (!isTerminal(r.phase)) continue
    byNs.set(r.namespace, [...(byNs.get(r.namespace) ?? []), r])
  }
  const out: Rollout[] = []
  for (const list of byNs.values()) {
    const newestFirst = list.sort((a, b) => cmp(ended(b), ended(a)))
    for (const r of newestFirst.slice(Math.max(0, keep))) {
      if (Date.parse(ended(r)) < before.getTime()) out.push(r)
    }
  }
  return out
}

function ended(r: Rollout): string {
  return r.endedAt ?? r.updatedAt
}

/** A short fixed-length name for a (namespace, prefix) pair: the active marker's key. */
export function prefixHash(namespace: string, prefix: string): string {
  return createHash('sha256').update(`${namespace}\u0000${prefix}`).digest('hex').slice(0, 16)
}

export function checkLease(name: string, next: LeaseWrite): void {
  if (!LEASE_NAME.test(name)) {
    throw new InvalidLeaseError(
      `invalid lease name ${JSON.stringify(name.slice(0, 80))}: lowercase letters, digits, '-', '.', '_', starting and ending with a letter or digit`,
    )
  }
  if (next.data !== null && Buffer.byteLength(next.data) > MAX_LEASE_DATA) {
    throw new InvalidLeaseError(
      `lease ${name}: data of ${Buffer.byteLength(next.data)} bytes is over the ${MAX_LEASE_DATA}-byte limit; publish less`,
    )
  }
  if (!(next.durationMs > 0) || !Number.isFinite(next.durationMs)) {
    throw new InvalidLeaseError(`lease ${name}: durationMs must be a positive number`)
  }
}

/** The JSON a backend stores for a lease. */
export const StoredLease = z.strictObject({
  holder: z.string().nullable(),
  durationMs: z.number().positive(),
  acquiredAt: z.iso.datetime().nullable(),
  renewedAt: z.iso.datetime().nullable(),
  transitions: z.int().nonnegative(),
  data: z.string().nullable(),
})
export type StoredLease = z.infer<typeof StoredLease>

export function leaseJson(next: LeaseWrite): string {
  const stored: StoredLease = {
    holder: next.holder,
    durationMs: next.durationMs,
    acquiredAt: next.acquiredAt?.toISOString() ?? null,
    renewedAt: next.renewedAt?.toISOString() ?? null,
    transitions: next.transitions,
    data: next.data,
  }
  return JSON.stringify(stored)
}

/** Reads a stored lease; null if it is not one (a bad lease is treated as absent by list). */
export function readLease(text: string): LeaseWrite | null {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return null
  }
  const parsed = StoredLease.safeParse(json)
  if (!parsed.success) return null
  const s = parsed.data
  return {
    holder: s.holder,
    durationMs: s.durationMs,
    acquiredAt: s.acquiredAt === null ? null : new Date(s.acquiredAt),
    renewedAt: s.renewedAt === null ? null : new Date(s.renewedAt),
    transitions: s.transitions,
    data: s.data,
  }
}

function eventKey(e: RolloutStoreEvent): string {
  switch (e.type) {
    case 'rollout':
      return `${e.rollout.namespace}\u0000${e.rollout.id}`
    case 'removed':
      return `${e.namespace}\u0000${e.id}`
    case 'synced':
      return 'synced'
  }
}

/**
 * A rollout watch: every event in order, and past `maxPending` undelivered ones the latest of
 * each rollout, so a slow consumer costs bounded memory and still sees every rollout's state.
 */
export type RolloutChannel = WatchChannel<RolloutStoreEvent>

export function rolloutChannel(options: WatchOptions, onEnd: () => void): RolloutChannel {
  return new WatchChannel<RolloutStoreEvent>({
    ...(options.maxPending !== undefined && { maxPending: options.maxPending }),
    ...(options.signal !== undefined && { signal: options.signal }),
    deliver: (_previous, next) => next,
    onEnd,
    collapse: (queue) => {
      const latest = new Map<string, RolloutStoreEvent>()
      for (const e of queue) {
        const key = eventKey(e)
        latest.delete(key)
        latest.set(key, e)
      }
      return [...latest.values()]
    },
  })
}
