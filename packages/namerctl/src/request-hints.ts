// Errors that named neither the mistake nor the fix. Three --base-url mistakes:
// - a base URL that already ends in an API path, /api/1 (copied from a curl line), /api,
//   /api/1/dtabs: namerctl adds /api/1 to every path, so namerd answered
//   `no such route: GET /api/1/api/1/dtabs` (or a 400 for the namespace `api/1/dtabs`);
// - a URL that is not namerd's at all (the proxy's ports): its 404 was shown as namerd's;
// - https:// to a namerd that speaks plain HTTP: the TLS handshake fails, and OpenSSL's line
//   (`...:SSL routines:ssl3_get_record:wrong version number`) was the whole message.
// And namerd's quote of a namespace as it came in the URL, percent-encoded (`"bad%20ns"`).
import { CliError, HttpError } from './errors.js'

// Any API path at the end of the base URL: /api/1, /api, /api/v1, /api/1/dtabs, ...
const API_SUFFIX = /\/api(\/[^?#]*)?$/

/**
 * The 400/404 of a base URL that ends in an API path (namerd then sees /api/1/api/1/dtabs, a
 * missing route or an invalid namespace), with the base URL to use instead.
 */
export function withBaseUrlHint(err: HttpError, base: URL): HttpError {
  if (err.status !== 404 && err.status !== 400) return err
  const m = API_SUFFIX.exec(base.pathname)
  if (m === null) return err
  const fixed = new URL(base.href)
  fixed.pathname = base.pathname.slice(0, m.index) || '/'
  fixed.search = ''
  const suffix = m[0].replace(/\/$/, '')
  return new HttpError(err.status, err.statusText, err.apiCode, err.apiMessage, [
    ...err.details,
    `the base URL ends in ${suffix}, ${suffix === '/api/1' ? 'which namerctl adds itself' : 'but namerctl adds /api/1 itself'}: use --base-url ${fixed.href.replace(/\/$/, '')}`,
  ])
}

/**
 * A 404 or 502 whose body is not namerd's JSON error ({"error": "<snake_case code>", "message"}) came from some other
 * server: a proxy's admin or router port, a web server. Its reply was shown as namerd's, under
 * "resource was not found by ID or name", which sent people looking for a missing dtab. It is
 * no HttpError, so no command takes it for namerd's 404 of a missing namespace.
 */
export function notNamerd(err: HttpError, base: URL): HttpError | CliError {
  if ((err.status !== 404 && err.status !== 502) || isNamerdCode(err.apiCode)) return err
  const reply = err.apiMessage === null ? '' : `: ${oneLine(err.apiMessage)}`
  const baseUrl = base.href.replace(/\/$/, '')
  return new CliError(
    'invalid_response',
    `the server at ${baseUrl} does not look like namerd (its reply: ${err.status} ${err.statusText}${reply})`,
    [
      "check --base-url, NAMERCTL_BASE_URL or .namerctl.yaml: it should be namerd's HTTP API (port 4180 by default), not a router's or a proxy's admin port",
    ],
  )
}

/**
 * namerd's error codes are snake_case (`not_found`, `version_mismatch`); a web framework's JSON
 * 404 has the same two fields with its status text (`"error": "Not Found"`), so the field alone
 * does not tell namerd.
 */
function isNamerdCode(code: string | null): boolean {
  return code !== null && /^[a-z][a-z0-9_]*$/.test(code)
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 120 ? `${line.slice(0, 117)}...` : line
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
