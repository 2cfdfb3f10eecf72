// The editor's write: a compare-and-swap of the dtab (If-Match the version the edit started from)
// with the optional reason as `l5d-why`, which namerd records as the history entry's why.
import type { Api } from '../api/client.js'
import { whyHeaders } from '../api/why.js'

/** Resolves to the new version (the ETag); rejects with ApiError (412: it moved on meanwhile). */
export async function saveDtab(
  api: Api,
  ns: string,
  text: string,
  ifMatch: string,
  why: string,
): Promise<string> {
  const res = await api.send(`/api/1/dtabs/${encodeURIComponent(ns)}`, {
    method: 'PUT',
    body: text,
    contentType: 'application/dtab',
    headers: { 'if-match': ifMatch, ...whyHeaders(why) },
  })
  return res.headers.get('etag') ?? ''
}
