// Errors that named neither the mistake nor the fix. Two --base-url mistakes:
// - a base URL that already ends in /api/1 (copied from a curl line): namerctl adds /api/1 to
//   every path, so namerd answered `no such route: GET /api/1/api/1/dtabs`;
// - https:// to a namerd that speaks plain HTTP: the TLS handshake fails, and OpenSSL's line
//   (`...:SSL routines:ssl3_get_record:wrong version number`) was the whole message.
// And namerd's quote of a namespace as it came in the URL, percent-encoded (`"bad%20ns"`).
import { CliError, HttpError } from './errors.js'

const API_SUFFIX = /\/api\/1\/?$/

/** The 404 of a base URL ending in /api/1, with the base URL to use instead. */
export function withBaseUrlHint(err: HttpError, base: URL): HttpError {
  if (err.status !== 404 || !API_SUFFIX.test(base.pathname)) return err
  const fixed = new URL(base.href)
  fixed.pathname = base.pathname.replace(API_SUFFIX, '') || '/'
  return new HttpError(err.status, err.statusText, err.apiCode, err.apiMessage, [
    ...err.details,
    `the base URL ends in /api/1, which namerctl adds itself: use --base-url ${fixed.href.replace(/\/$/, '')}`,
  ])
}

/** Whether a failed request failed in the TLS handshake (not a refused or timed-out one). */
function isTlsFailure(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code ?? ''
    if (code.startsWith('ERR_SSL') || code === 'EPROTO') return true
    if (/SSL routines|wrong version number|packet length too long/i.test(e.message)) return true
  }
  return false
}

/** The error of https:// to a plain-HTTP namerd, or null when `err` is something else. */
export function plainHttpError(base: URL, err: unknown): CliError | null {
  if (base.protocol !== 'https:' || !isTlsFailure(err)) return null
  const http = new URL(base.href)
  http.protocol = 'http:'
  const baseUrl = base.href.replace(/\/$/, '')
  return new CliError('network', `namerd at ${baseUrl} does not speak TLS; use http://`, [
    `the TLS handshake failed: the server answered in plain HTTP. Use --base-url ${http.href.replace(/\/$/, '')}`,
  ])
}

/**
 * namerd quotes a namespace as it came in the URL, percent-encoded (`invalid namespace
 * "bad%20ns"`), which is not the name the user typed. Quoted encoded text is shown decoded.
 */
export function withNamesAsTyped(err: HttpError): HttpError {
  const decode = (text: string): string =>
    text.replace(/"([^"]*%[0-9A-Fa-f]{2}[^"]*)"/g, (whole, quoted: string) => {
      try {
        return JSON.stringify(decodeURIComponent(quoted))
      } catch {
        return whole
      }
    })
  const details = err.details.map(decode)
  if (details.every((d, i) => d === err.details[i])) return err
  const apiMessage = err.apiMessage === null ? null : decode(err.apiMessage)
  return new HttpError(err.status, err.statusText, err.apiCode, apiMessage, details)
}
