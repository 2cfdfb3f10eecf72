// namerd's watch streams (`?watch=1`): one JSON document (or dtab text) per line, for as long as
// the connection lasts (namerd-wire.md §1.3). Read with fetch, not EventSource, so the token goes
// in the Authorization header. Lines are split on `\n` whatever the chunking; a line over 4 MiB
// ends the stream with an error rather than growing the page's memory.
import type { Api } from './client.js'
import { ApiError } from './errors.js'

const MAX_LINE = 4 * 1024 * 1024

/**
 * Reads `path` as a watch until `signal` aborts or namerd ends it, calling `onLine` for each
 * line. Resolves when the stream ends (namerd restarting, draining); rejects with an ApiError
 * when the request fails or a line is too long. The caller decides whether to reconnect.
 */
export async function watchLines(
  api: Api,
  path: string,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const sep = path.includes('?') ? '&' : '?'
  const res = await api.send(`${path}${sep}watch=1`, {
    signal,
    headers: { 'l5d-watcher-id': 'dashboard' },
  })
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader()
  if (reader === undefined) return
  let pending = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      pending += value
      let nl = pending.indexOf('\n')
      while (nl >= 0) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        if (line !== '') onLine(line)
        nl = pending.indexOf('\n')
      }
      if (pending.length > MAX_LINE) {
        throw new ApiError(
          'unexpected',
          res.status,
          'bad_answer',
          `${path}: a watch line over ${MAX_LINE} bytes`,
        )
      }
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}
