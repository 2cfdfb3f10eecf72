// What one version changed, in a few words, from the version before it: the dentries added,
// removed and changed, by prefix (`changed /host/world: /srv/world-v1 → 10.00*/srv/world-v2 &
// 90.00*/srv/world-v1`), as namerctl history says what each write changed. Also which prefixes a
// change touches, so a rollback can name the active rollouts it would stop. Pure: tested under
// node (test/history-changes.test.ts).
import { Dtab, NameTree, Prefix } from '@switchyard/dtab'
import type { HistoryEntry } from '@switchyard/wire'

/** At most this many dentries are named in a row; the rest are counted. */
const NAMED = 3

/** prefix → its destinations in order (a dtab may hold several dentries with one prefix). */
function byPrefix(stored: string | null): Map<string, string> | null {
  const map = new Map<string, string>()
  if (stored === null) return map
  let dtab: Dtab
  try {
    dtab = Dtab.read(stored)
  } catch {
    return null
  }
  for (const d of dtab) {
    const prefix = Prefix.show(d.prefix)
    const dst = NameTree.show(d.dst)
    const had = map.get(prefix)
    map.set(prefix, had === undefined ? dst : `${had} ; ${dst}`)
  }
  return map
}

export interface DentryChange {
  readonly kind: 'added' | 'removed' | 'changed'
  readonly prefix: string
  /** The destination before (removed, changed). */
  readonly before: string | null
  /** The destination after (added, changed). */
  readonly after: string | null
}

/** The dentries that differ between two stored dtabs, by prefix; null when one does not parse. */
export function dentryChanges(before: string | null, after: string | null): DentryChange[] | null {
  const a = byPrefix(before)
  const b = byPrefix(after)
  if (a === null || b === null) return null
  const out: DentryChange[] = []
  for (const [prefix, dst] of b) {
    const was = a.get(prefix)
    if (was === undefined) out.push({ kind: 'added', prefix, before: null, after: dst })
    else if (was !== dst) out.push({ kind: 'changed', prefix, before: was, after: dst })
  }
  for (const [prefix, dst] of a) {
    if (!b.has(prefix)) out.push({ kind: 'removed', prefix, before: dst, after: null })
  }
  return out
}

function changeText(c: DentryChange): string {
  switch (c.kind) {
    case 'added':
      return `added ${c.prefix} => ${c.after}`
    case 'removed':
      return `removed ${c.prefix}`
    case 'changed':
      return `changed ${c.prefix}: ${c.before} → ${c.after}`
  }
}

/**
 * What `entry` changed from `previous` (the version it replaced; undefined when not in the
 * history read), in a few words for its history row.
 */
export function changeSummary(entry: HistoryEntry, previous: HistoryEntry | undefined): string {
  if (entry.op === 'delete') return 'namespace deleted'
  const count = entry.dtab === null ? 0 : (byPrefix(entry.dtab)?.size ?? 0)
  if (entry.previous === null || previous === undefined || previous.dtab === null) {
    const what = `${count} ${count === 1 ? 'dentry' : 'dentries'}`
    if (entry.previous === null || previous?.dtab === null) return `created with ${what}`
    return `now ${what} (the version before is not in the history read)`
  }
  const changes = dentryChanges(previous.dtab, entry.dtab)
  if (changes === null) return 'changed (a version does not parse)'
  if (changes.length === 0) {
    return previous.dtab === entry.dtab
      ? 'no change (written again as it was)'
      : 'dentries reordered'
  }
  const named = changes.slice(0, NAMED).map(changeText)
  const more = changes.length - named.length
  return more > 0 ? `${named.join('; ')}; and ${more} more` : named.join('; ')
}

/** The version an entry replaced, from the history read (newest first). */
export function previousOf(
  entries: readonly HistoryEntry[],
  entry: HistoryEntry,
): HistoryEntry | undefined {
  if (entry.previous === null) return undefined
  return entries.find((e) => e.version === entry.previous)
}

/** The prefixes whose dentries differ between two stored dtabs (all of both when unreadable). */
export function touchedPrefixes(before: string | null, after: string | null): string[] {
  const changes = dentryChanges(before, after)
  if (changes !== null) return changes.map((c) => c.prefix)
  return [...new Set([...(byPrefix(before)?.keys() ?? []), ...(byPrefix(after)?.keys() ?? [])])]
}

/** Whether a rollout's prefix is one of `prefixes` (as namerd compares them: shown alike). */
export function touches(prefixes: readonly string[], rolloutPrefix: string): boolean {
  let shown: string
  try {
    shown = Prefix.show(Prefix.read(rolloutPrefix))
  } catch {
    shown = rolloutPrefix
  }
  return prefixes.includes(shown)
}
