// One GET of a JSON document from a proxy's admin server: the rollouts scraper's metrics
// snapshot (rollouts/sources/scraper.ts, also read by the dashboard's traffic scraper) and the
// proxy-status route's router list (routes/proxy-status.ts). The admin address came from a watch
// header, so it is treated as hostile: one fixed path, a deadline for the whole answer, at most
// `maxBytes` read, no redirects followed, and the body checked by the caller's `check` before
// anything keeps it.

/** What the caller makes of a parsed body: the value, or a problem in words (thrown). */
export type AdminJsonCheck<T> = (json: unknown, url: string) => T

export interface AdminJsonRead<T> {
  /** The proxy's admin address, host:port. */
  readonly admin: string
  /** The fixed path asked for, e.g. `/admin/routers.json`. */
  readonly path: string
  /** The deadline for the whole answer, body included. */
  readonly timeoutMs: number
  readonly maxBytes: number
  /** Builds the error thrown, so each reader keeps its own error class. */
  readonly fail: (message: string) => Error
  /** Checks the parsed body; throws (with `fail`) what is wrong with it. */
  readonly check: AdminJsonCheck<T>
}

/** Reads and checks one admin document; throws `fail(...)` saying what was wrong. */
export async function readAdminJson<T>(read: AdminJsonRead<T>): Promise<T> {
  const { admin, path, timeoutMs, maxBytes, fail } = read
  const url = `http://${admin}${path}`
  const signal = AbortSignal.timeout(timeoutMs)
  let text: string
  let failed: Error | null = null
  try {
    const res = await fetch(url, { signal, redirect: 'manual' })
    if (res.status !== 200) {
      await res.body?.cancel()
      failed = fail(`GET ${url} answered ${res.status}`)
      throw failed
    }
    const reader = res.body?.getReader()
    const chunks: Uint8Array[] = []
    let size = 0
    for (;;) {
      const r = await reader?.read()
      if (r === undefined || r.done) break
      size += r.value.byteLength
      if (size > maxBytes) {
        await reader?.cancel()
        failed = fail(`GET ${url}: the answer is over ${maxBytes} bytes`)
        throw failed
      }
      chunks.push(r.value)
    }
    text = Buffer.concat(chunks).toString('utf8')
  } catch (err) {
    if (failed !== null && err === failed) throw err
    if (signal.aborted) throw fail(`GET ${url}: no whole answer within ${timeoutMs} ms`)
    const cause = (err as { cause?: { message?: string } }).cause?.message
    throw fail(`GET ${url}: ${cause ?? (err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw fail(`GET ${url}: the answer is not JSON`)
  }
  return read.check(json, url)
}
