// Writes made straight to namerd's API, not through namerctl: the tests of the reading commands
// and of restoring set up their namespaces without depending on how the writing commands check
// their input (`shift` and `dtab create` refuse destinations that do not resolve).

async function send(method: string, url: string, body?: string): Promise<string> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/dtab' },
    body,
  })
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`)
  return res.headers.get('etag') ?? ''
}

/** Creates the namespace with this dtab text; returns its version (ETag). */
export function createNs(base: string, ns: string, dtab: string): Promise<string> {
  return send('POST', `${base}/api/1/dtabs/${ns}`, dtab)
}

/** Replaces the namespace's dtab (no If-Match); returns the new version. */
export function putNs(base: string, ns: string, dtab: string): Promise<string> {
  return send('PUT', `${base}/api/1/dtabs/${ns}`, dtab)
}

export async function deleteNs(base: string, ns: string): Promise<void> {
  await send('DELETE', `${base}/api/1/dtabs/${ns}`)
}
