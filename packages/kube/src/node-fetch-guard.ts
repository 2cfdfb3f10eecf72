// Loading undici 8 (client-node's HTTP client) installs its own Agent as the global dispatcher
// of every undici in the process, under the legacy key that Node 22's built-in undici reads for
// globalThis.fetch. Node 22's fetch then runs through undici 8's compatibility wrapper, which
// refuses requests Node's own undici sends fine (an explicit content-length header: "invalid
// content-length header"). So loading @switchyard/kube would change fetch for the whole
// program. This module is evaluated before client-node (client-node.ts imports it first), keeps
// the key's value from before, and puts it back once client-node has loaded. client-node itself
// is unaffected: it passes its own dispatcher, or reads undici 8's own key, which stays.

const LEGACY_KEY = Symbol.for('undici.globalDispatcher.1')

const before = Object.getOwnPropertyDescriptor(globalThis, LEGACY_KEY)

/** Puts Node's fetch dispatcher back as it was before client-node loaded. Idempotent. */
export function restoreNodeFetchDispatcher(): void {
  const now = Object.getOwnPropertyDescriptor(globalThis, LEGACY_KEY)
  if (now === undefined || now.value === before?.value) return
  if (now.configurable) {
    if (before === undefined) Reflect.deleteProperty(globalThis, LEGACY_KEY)
    else Object.defineProperty(globalThis, LEGACY_KEY, before)
    return
  }
  // undici defines the key non-configurable but writable: its value can still change. An
  // undefined value makes Node's undici install its own Agent when fetch first needs one.
  if (now.writable) Reflect.set(globalThis, LEGACY_KEY, before?.value)
}
