// When the namespace's dtab last changed, so the view does not call a split "far from the dtab"
// while the window still holds requests the previous version routed. Two clocks, each compared
// only with itself: namerd's (the newest history entry's time, when it is the version shown,
// compared with the snapshot time namerd reports) and the page's (when it saw the version
// change, compared with now). The first covers a page opened just after a change; the second a
// store that keeps no history.
import { History } from '@switchyard/wire'
import { useEffect, useRef, useState } from 'preact/hooks'
import { useApp } from '../context.js'

export interface ChangedAt {
  /** namerd's time of the version shown (ms since the epoch); null when unknown. */
  readonly server: number | null
  /** The page's time when it saw the version change; null when it has not. */
  readonly seen: number | null
  /** namerd's history was asked for the version shown (so `server` is what it said). */
  readonly asked: boolean
}

export function useChangedAt(ns: string, version: string | null): ChangedAt {
  const { api } = useApp()
  const [server, setServer] = useState<{ version: string; at: number | null } | null>(null)
  const seen = useRef<{ ns: string; version: string | null; at: number | null }>({
    ns,
    version: null,
    at: null,
  })
  const s = seen.current
  if (s.ns !== ns) seen.current = { ns, version, at: null }
  else if (version !== null && version !== s.version) {
    // A first version seen is not a change: the page does not know when it was made.
    if (s.version !== null) s.at = Date.now()
    s.version = version
  }

  useEffect(() => {
    if (version === null) return
    const ac = new AbortController()
    api
      .json(`/api/1/dtabs/${encodeURIComponent(ns)}/history?limit=1`, History, {
        signal: ac.signal,
      })
      .then((entries) => {
        const newest = entries[0]
        const at = newest?.version === version ? Date.parse(newest.time) : null
        setServer({ version, at: at !== null && Number.isFinite(at) ? at : null })
      })
      .catch(() => {
        // No history (a store that keeps none, a read token without it): the page's clock only.
        if (!ac.signal.aborted) setServer({ version, at: null })
      })
    return () => ac.abort()
  }, [api, ns, version])

  const asked = server !== null && server.version === version
  return { server: asked ? server.at : null, seen: seen.current.at, asked }
}
