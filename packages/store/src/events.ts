// Watch channels for the two kinds of watch, with the de-duplication every backend shares:
// a namespace watch never repeats a state, a list watch never repeats a set.
import type { DtabEvent, NamespacesEvent, WatchOptions } from './store.js'
import { versionToETag } from './version.js'
import { WatchChannel } from './watch-channel.js'

/** Identifies a state: two events with the same key show the consumer the same thing. */
function stateKey(event: DtabEvent): string {
  switch (event.type) {
    case 'dtab':
      return `dtab:${versionToETag(event.version)}`
    case 'corrupt':
      return `corrupt:${event.error.version ? versionToETag(event.error.version) : event.error.message}`
    case 'absent':
    case 'deleted':
      return 'absent'
  }
}

export function dtabChannel(options: WatchOptions, onEnd: () => void): WatchChannel<DtabEvent> {
  return new WatchChannel<DtabEvent>({
    ...options,
    onEnd,
    deliver(previous, next) {
      if (previous === undefined) {
        // The first event is the current state; "deleted" only makes sense after a state.
        return next.type === 'deleted' ? { type: 'absent', namespace: next.namespace } : next
      }
      return stateKey(previous) === stateKey(next) ? undefined : next
    },
  })
}

/** The list backends push: the full set; `added` and `removed` are filled in on delivery. */
export function namespacesState(namespaces: Iterable<string>): NamespacesEvent {
  return { type: 'namespaces', namespaces: [...namespaces].sort(), added: [], removed: [] }
}

export function listChannel(
  options: WatchOptions,
  onEnd: () => void,
): WatchChannel<NamespacesEvent> {
  return new WatchChannel<NamespacesEvent>({
    ...options,
    onEnd,
    deliver(previous, next) {
      if (previous === undefined) return { ...next, added: [...next.namespaces], removed: [] }
      const before = new Set(previous.namespaces)
      const after = new Set(next.namespaces)
      const added = next.namespaces.filter((ns) => !before.has(ns))
      const removed = previous.namespaces.filter((ns) => !after.has(ns))
      if (added.length === 0 && removed.length === 0) return undefined
      return { ...next, added, removed }
    },
  })
}
