// namerd's history endpoints as the history view uses them: the versions of a namespace
// (newest first, checked by wire's History) and restore, a compare-and-swap write.
import { History, type HistoryEntry } from '@switchyard/wire'
import type { Api } from '../api/client.js'
import { cleanWhy, whyHeaders } from '../api/why.js'

/** The newest versions read at most; a longer history says so. */
export const HISTORY_LIMIT = 500

const base = (ns: string) => `/api/1/dtabs/${encodeURIComponent(ns)}`

export function readHistory(api: Api, ns: string, signal: AbortSignal): Promise<HistoryEntry[]> {
  return api.json(`${base(ns)}/history?limit=${HISTORY_LIMIT}`, History, { signal })
}

/**
 * Brings back `version`'s dtab, recorded with `why` (header l5d-why) in the history. With `ifMatch` (the version the page showed as current) namerd
 * answers 412 version_mismatch when the dtab changed meanwhile and writes nothing; without, it
 * only re-creates a deleted namespace (409 when it exists again). Resolves to the new version.
 */
export async function restore(
  api: Api,
  ns: string,
  version: string,
  ifMatch: string | null,
  why: string,
): Promise<string> {
  const res = await api.send(`${base(ns)}/restore`, {
    method: 'POST',
    body: JSON.stringify({ version }),
    contentType: 'application/json',
    headers: { ...whyHeaders(cleanWhy(why)), ...(ifMatch === null ? {} : { 'if-match': ifMatch }) },
  })
  return res.headers.get('etag') ?? ''
}
