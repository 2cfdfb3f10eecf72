// Propagation (docs/design/rollouts.md §1): a step's window starts only once the proxies that
// watch the namespace have been sent the dtab version the step wrote, so a window never counts
// traffic routed by the dtab from before (a proxy in watch backoff, a replica that restarted).
// What namerd sent each watch stream is its StateStream's version; other replicas publish theirs
// in their presence leases (presence.ts), and the directory joins both (directory.ts).
import {
  versionCounter,
  versionFromIfMatch,
  versionRevision,
  versionsEqual,
} from '@switchyard/store'

/** One proxy (admin address) and the version each of its watch streams was last sent. */
export interface PropagationProxy {
  readonly admin: string
  readonly id: string | null
  readonly replica: string
  /** One per stream (null: nothing sent yet); every one must be current. */
  readonly versions: readonly (string | null)[]
}

/** The longest a window waits for the proxies; at most the step's interval too. */
export const PROPAGATION_WAIT_MS = 10_000

/**
 * Whether ETag `have` is `want` or a later version of the same dtab. Counters (memory, file) and
 * revisions (etcd, Kubernetes) compare by number; anything else only by equality, so an unknown
 * encoding makes the window wait for its bound rather than start early.
 */
export function versionAtLeast(have: string, want: string): boolean {
  if (have === want) return true
  const a = versionFromIfMatch(have)
  const b = versionFromIfMatch(want)
  if (versionsEqual(a, b)) return true
  const ca = versionCounter(a)
  const cb = versionCounter(b)
  if (ca !== null && cb !== null) return ca >= cb
  const ra = versionRevision(a)
  const rb = versionRevision(b)
  if (ra !== null && rb !== null) return ra >= rb
  return false
}

/** `v12` for a counter or revision ETag (as namerctl prints them); the ETag itself otherwise. */
export function shortVersion(etag: string): string {
  const bytes = versionFromIfMatch(etag)
  const n = versionCounter(bytes) ?? versionRevision(bytes)
  return n === null ? etag : `v${n}`
}

/** The proxies not yet sent `version` on every stream, each with what its streams have. */
export function lagging(
  proxies: readonly PropagationProxy[],
  version: string,
): { proxy: PropagationProxy; has: string }[] {
  const out: { proxy: PropagationProxy; has: string }[] = []
  for (const p of proxies) {
    const behind = p.versions.filter((v) => v === null || !versionAtLeast(v, version))
    if (behind.length === 0) continue
    const has = behind.map((v) => (v === null ? 'nothing yet' : shortVersion(v)))
    out.push({ proxy: p, has: [...new Set(has)].join(', ') })
  }
  return out
}
