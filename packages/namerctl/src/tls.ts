// namerctl to an https namerd whose certificate a private CA signed (--ca-cert), or that asks
// for a client certificate (--cert and --key, mTLS). Global fetch cannot be given a CA or a
// client certificate without undici's Agent, which is not node's to export, so with any of
// them a request goes through node's https module and its answer is wrapped in a fetch
// Response: every command reads it as it reads fetch's. Without them, fetch as before (the
// system's CAs, and NODE_EXTRA_CA_CERTS).
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { Readable } from 'node:stream'
import { CliError } from './errors.js'

/** Where each file came from (`--ca-cert`, `NAMERCTL_CA_CERT`, `ca-cert in <file>`) and its path. */
export interface TlsFile {
  readonly path: string
  readonly from: string
}

export interface TlsFiles {
  readonly caCert?: TlsFile | undefined
  readonly cert?: TlsFile | undefined
  readonly key?: TlsFile | undefined
}

export interface TlsMaterial {
  readonly ca?: Buffer
  readonly cert?: Buffer
  readonly key?: Buffer
  /** For the hints: which were given. */
  readonly files: TlsFiles
}

function readPem(file: TlsFile, label: RegExp, what: string): Buffer {
  let bytes: Buffer
  try {
    bytes = readFileSync(file.path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError('config', `cannot read ${file.from} ${file.path}`, [
      code === 'ENOENT' ? 'no such file' : (err as Error).message,
    ])
  }
  if (!label.test(bytes.toString('latin1'))) {
    throw new CliError('config', `${file.from} ${file.path} is not a PEM ${what}`, [
      `expected a "-----BEGIN ${what === 'private key' ? 'PRIVATE KEY' : 'CERTIFICATE'}-----" block`,
    ])
  }
  return bytes
}

/** Reads the files; a missing one, or a certificate without its key, is a CliError. */
export function loadTls(files: TlsFiles): TlsMaterial | undefined {
  if (files.caCert === undefined && files.cert === undefined && files.key === undefined)
    return undefined
  if ((files.cert === undefined) !== (files.key === undefined)) {
    const given = files.cert ?? files.key
    throw new CliError(
      'usage',
      `${given?.from} needs ${files.cert === undefined ? '--cert' : '--key'} too: a client certificate goes with its key`,
      [
        '--cert <file> --key <file> (or NAMERCTL_CERT and NAMERCTL_KEY, or cert and key in .namerctl.yaml)',
      ],
    )
  }
  return {
    ...(files.caCert === undefined
      ? {}
      : { ca: readPem(files.caCert, /-----BEGIN CERTIFICATE-----/, 'certificate') }),
    ...(files.cert === undefined
      ? {}
      : { cert: readPem(files.cert, /-----BEGIN CERTIFICATE-----/, 'certificate') }),
    ...(files.key === undefined
      ? {}
      : { key: readPem(files.key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key') }),
    files,
  }
}

export interface FetchInit {
  readonly method: string
  readonly headers: Record<string, string>
  readonly body?: string | undefined
  readonly signal?: AbortSignal | null
}

export type Fetch = (url: URL, init: FetchInit) => Promise<Response>

// Statuses whose Response may have no body (fetch's own rule).
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * A fetch over node's https with these CAs and this client certificate. Fails as fetch does:
 * a TypeError whose cause is the socket's error, or the signal's reason when it fired.
 */
export function httpsFetch(material: TlsMaterial): Fetch {
  // One command, a few requests: keep-alive, and nothing left open when it ends.
  const agent = new Agent({
    keepAlive: true,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    ...(material.cert === undefined ? {} : { cert: material.cert }),
    ...(material.key === undefined ? {} : { key: material.key }),
  })
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      if (url.protocol !== 'https:') {
        reject(
          new CliError(
            'usage',
            `--ca-cert, --cert and --key are for an https namerd, and the base URL is ${url.origin}`,
            ['use --base-url https://...'],
          ),
        )
        return
      }
      const headers: Record<string, string> = { ...init.headers }
      if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body))
      const req = request(url, {
        method: init.method,
        headers,
        agent,
        ...(init.signal ? { signal: init.signal } : {}),
      })
      req.once('response', (res) => {
        const h = new Headers()
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          h.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '')
        const status = res.statusCode ?? 0
        // No unref here: the socket must hold the process while a watch streams; the agent
        // unrefs it once free (keepSocketAlive), so a finished command still exits at once.
        const empty = NULL_BODY.has(status) || init.method === 'HEAD'
        if (empty) res.resume()
        resolve(
          new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status,
            statusText: res.statusMessage ?? '',
            headers: h,
          }),
        )
      })
      req.on('error', (err) => {
        if (init.signal?.aborted) reject(init.signal.reason)
        else reject(new TypeError('fetch failed', { cause: err }))
      })
      req.end(init.body)
    })
}

// OpenSSL's verify codes that mean "signed by a CA not trusted here".
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
])

function codes(err: unknown): { code: string; message: string }[] {
  const out: { code: string; message: string }[] = []
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    out.push({ code: (e as NodeJS.ErrnoException).code ?? '', message: e.message })
  return out
}

/**
 * A TLS failure with namerd said plainly, with the flag that fixes it; null when `err` is not
 * one of these (request-hints.ts's plainHttpError knows the plain-HTTP one).
 */
export function tlsProblem(base: URL, err: unknown, files: TlsFiles | undefined): CliError | null {
  if (base.protocol !== 'https:') return null
  const at = `namerd at ${base.href.replace(/\/$/, '')}`
  for (const { code, message } of codes(err)) {
    if (UNTRUSTED.has(code)) {
      return new CliError(
        'network',
        `${at}: its certificate is signed by a CA namerctl does not trust`,
        [
          files?.caCert === undefined
            ? 'pass the CA that signed it: --ca-cert <file> (or NAMERCTL_CA_CERT, or ca-cert in .namerctl.yaml)'
            : `${files.caCert.from} ${files.caCert.path} did not sign it: is it namerd's CA?`,
        ],
      )
    }
    if (code === 'CERT_HAS_EXPIRED')
      return new CliError('network', `${at}: its certificate has expired`, [
        "namerd's certificate must be renewed (namerd re-reads its tls files when they change)",
      ])
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return new CliError('network', `${at}: its certificate is not for ${base.hostname}`, [
        message,
        'use a --base-url with a name the certificate carries',
      ])
    // namerd (requireClientAuth) refused the connection for want of a good client certificate.
    if (
      /ALERT_CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE/.test(
        code,
      )
    )
      return files?.cert === undefined
        ? new CliError('network', `${at} requires a client certificate`, [
            'pass --cert <file> --key <file> (or NAMERCTL_CERT and NAMERCTL_KEY, or cert and key in .namerctl.yaml)',
          ])
        : new CliError('network', `${at} refused namerctl's client certificate`, [
            `${files.cert.from} ${files.cert.path} is not signed by the CA namerd trusts for clients (its tls.caCertPath)`,
          ])
  }
  // A node server refuses a client certificate it does not trust by closing the connection
  // after the handshake, with no alert: namerctl sees only the hang-up.
  if (files?.cert !== undefined && codes(err).some((c) => c.code === 'ECONNRESET'))
    return new CliError('network', `${at} closed the connection (socket hang up)`, [
      `if namerd requires client certificates, ${files.cert.from} ${files.cert.path} may not be signed by the CA it trusts for clients (its tls.caCertPath)`,
    ])
  return null
}
