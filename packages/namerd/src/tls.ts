// namerd's API over TLS: a certificate and key (PEM), optionally a CA whose client certificates
// are asked for or required (mTLS), in the keys of Linkerd's server `tls` (certPath, keyPath,
// caCertPath, requireClientAuth, ciphers). The files are checked when the config is read, so
// `--check` and a start both name the key and the file; they are re-read when they change (a
// renewed certificate, a Kubernetes Secret update) and a bad new file keeps the old ones.

import { X509Certificate } from 'node:crypto'
import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import { resolve } from 'node:path'
import { createSecureContext, type SecureContextOptions, type Server } from 'node:tls'
import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'

const FilePath = z.string().min(1, 'a file path')

/** The config file's `tls:` (Linkerd's server keys). */
export const TlsConfig = z
  .strictObject({
    certPath: FilePath,
    keyPath: FilePath,
    /** The CA that signs client certificates: with it, clients are asked for one. */
    caCertPath: FilePath.optional(),
    /** Refuse a client without a certificate signed by caCertPath (mTLS). */
    requireClientAuth: z.boolean().optional(),
    /** OpenSSL cipher names; default node's. */
    ciphers: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((t) => t.requireClientAuth !== true || t.caCertPath !== undefined, {
    message: 'requireClientAuth needs caCertPath: the CA that signs the client certificates',
    path: ['requireClientAuth'],
  })
export type TlsConfig = z.infer<typeof TlsConfig>

/** The TLS settings namerd runs with: absolute paths. */
export interface TlsSettings {
  readonly certPath: string
  readonly keyPath: string
  readonly caCertPath?: string
  readonly requireClientAuth: boolean
  readonly ciphers?: readonly string[]
}

export function tlsSettings(config: TlsConfig, baseDir: string): TlsSettings {
  return {
    certPath: resolve(baseDir, config.certPath),
    keyPath: resolve(baseDir, config.keyPath),
    ...(config.caCertPath === undefined ? {} : { caCertPath: resolve(baseDir, config.caCertPath) }),
    requireClientAuth: config.requireClientAuth ?? false,
    ...(config.ciphers === undefined ? {} : { ciphers: config.ciphers }),
  }
}

/** A file that cannot serve: `tls.certPath: /etc/namerd/tls.crt: not a PEM certificate`. */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError'
  readonly code = 'TLS_CONFIG'
  constructor(
    readonly key: string,
    readonly file: string,
    reason: string,
    /** Between the file and the reason: ': ', or ' ' for a reason that reads on (`is ...`). */
    joiner = ': ',
  ) {
    super(`tls.${key}: ${file}${joiner}${reason}`)
  }
}

/** What the files hold, checked: the options of a secure context, and what to warn about. */
export interface LoadedTls {
  readonly options: SecureContextOptions
  /** Not an error (namerd still serves), but worth a warning: an expired certificate. */
  readonly warnings: readonly string[]
  /** The certificate's subject and expiry, for the start log and --check. */
  readonly describe: string
  /** The certificate is out of its validity now: --check marks it. */
  readonly validity: 'EXPIRED' | 'NOT YET VALID' | undefined
}

/**
 * A PEM key protected by a passphrase: PKCS#8's ENCRYPTED PRIVATE KEY or the traditional
 * `Proc-Type: 4,ENCRYPTED` header. namerd cannot ask for the passphrase. (The proxy says the
 * same of its own key files, in the same words: packages/proxy/src/tls/pem-files.ts.)
 */
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/
export const ENCRYPTED_KEY_REASON = 'is an encrypted key; give an unencrypted one'

function readPem(key: string, file: string, label: RegExp, what: string): Buffer {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : (err as Error).message
    throw new TlsFileError(key, file, `cannot read it (${why})`)
  }
  if (!label.test(bytes.toString('latin1')))
    throw new TlsFileError(key, file, `not a PEM ${what} (no "-----BEGIN ...-----" block)`)
  return bytes
}

/** Reads and checks the files; throws TlsFileError naming the key and the file. */
export function loadTls(settings: TlsSettings, now = Date.now()): LoadedTls {
  const cert = readPem('certPath', settings.certPath, /-----BEGIN CERTIFICATE-----/, 'certificate')
  const key = readPem('keyPath', settings.keyPath, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'key')
  if (ENCRYPTED_KEY.test(key.toString('latin1')))
    throw new TlsFileError('keyPath', settings.keyPath, ENCRYPTED_KEY_REASON, ' ')
  const ca =
    settings.caCertPath === undefined
      ? undefined
      : readPem('caCertPath', settings.caCertPath, /-----BEGIN CERTIFICATE-----/, 'certificate')
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(cert)
  } catch (err) {
    throw new TlsFileError(
      'certPath',
      settings.certPath,
      `not a certificate: ${(err as Error).message}`,
    )
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca)
    } catch (err) {
      throw new TlsFileError(
        'caCertPath',
        settings.caCertPath ?? '',
        `not a certificate: ${(err as Error).message}`,
      )
    }
  }
  const options: SecureContextOptions = {
    cert,
    key,
    ...(ca === undefined ? {} : { ca }),
    ...(settings.ciphers === undefined ? {} : { ciphers: settings.ciphers.join(':') }),
  }
  try {
    // Checks that the key is a key, matches the certificate, and the ciphers exist.
    createSecureContext(options)
  } catch (err) {
    const message = (err as Error).message
    if (/cipher/i.test(message))
      throw new TlsFileError('ciphers', settings.ciphers?.join(':') ?? '', message)
    const why = /mismatch/i.test(message)
      ? `the key does not match the certificate in ${settings.certPath}`
      : `not a usable key (${message})`
    throw new TlsFileError('keyPath', settings.keyPath, why)
  }
  const warnings: string[] = []
  const notAfter = Date.parse(x509.validTo)
  const notBefore = Date.parse(x509.validFrom)
  if (notAfter < now)
    warnings.push(
      `tls.certPath: ${settings.certPath}: the certificate expired on ${new Date(notAfter).toISOString()}; clients will refuse it until it is renewed (namerd re-reads the file when it changes)`,
    )
  return {
    options,
    warnings,
    describe: `${x509.subject.replaceAll('\n', ', ')}, not after ${new Date(notAfter).toISOString()}`,
    validity: notAfter < now ? 'EXPIRED' : notBefore > now ? 'NOT YET VALID' : undefined,
  }
}

/** The options of namerd's https server: the files, plus asking for client certificates. */
export function serverOptions(
  settings: TlsSettings,
  loaded: LoadedTls,
): SecureContextOptions & {
  requestCert: boolean
  rejectUnauthorized: boolean
} {
  return {
    ...loaded.options,
    // With a CA, clients are asked for a certificate; one that does not verify is refused
    // only when required (as Linkerd's requireClientAuth), else the request goes on.
    requestCert: settings.caCertPath !== undefined,
    rejectUnauthorized: settings.requireClientAuth,
  }
}

/** How often the files' metadata is polled: stat follows symlinks, so a Secret's swap counts. */
export const DEFAULT_RELOAD_POLL_MS = 2000

/**
 * Re-reads the files when any changes and gives the server a new secure context; a bad new
 * set is logged and the server keeps the old one. Returns the function that stops watching.
 */
export function watchTls(
  server: Server,
  settings: TlsSettings,
  logger: FastifyBaseLogger,
  pollMs = DEFAULT_RELOAD_POLL_MS,
): () => void {
  const files = [settings.certPath, settings.keyPath, settings.caCertPath].filter(
    (f): f is string => f !== undefined,
  )
  // A certificate and its key are rarely written at the same instant: wait for both.
  let timer: NodeJS.Timeout | undefined
  const reload = () => {
    timer = undefined
    let loaded: LoadedTls
    try {
      loaded = loadTls(settings)
    } catch (err) {
      logger.error(
        { error: (err as Error).message },
        'tls: the changed files cannot serve; keeping the certificate loaded before',
      )
      return
    }
    server.setSecureContext(serverOptions(settings, loaded))
    for (const w of loaded.warnings) logger.warn(w)
    logger.info({ certificate: loaded.describe }, 'tls: certificate reloaded')
  }
  const onChange = (
    curr: { mtimeMs: number; ino: number },
    prev: { mtimeMs: number; ino: number },
  ) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino) return
    clearTimeout(timer)
    timer = setTimeout(reload, Math.min(pollMs, 200)).unref()
  }
  for (const f of files) watchFile(f, { interval: pollMs, persistent: false }, onChange)
  return () => {
    clearTimeout(timer)
    for (const f of files) unwatchFile(f, onChange)
  }
}
