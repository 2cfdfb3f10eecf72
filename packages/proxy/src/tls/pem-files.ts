// Reading the PEM files TLS config names, with errors that name the config key and the file:
// a missing file, an unreadable one, one that is not PEM, a key that does not match its
// certificate. Used at start (a start error) and on reload (the old files stay in use).
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { TlsConfigError } from './tls-errors.js'

/** A path as the config wrote it, relative to the config file's directory. */
export function resolvePath(baseDir: string, path: string): string {
  return resolve(baseDir, path)
}

/** The file's bytes, or a TlsConfigError naming `key` and the file. */
export function readTlsFile(key: string, file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    const code = (err as { code?: string }).code
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'a directory, not a file'
            : (err as Error).message
    throw new TlsConfigError(key, `cannot read ${file}: ${why}`, { cause: err })
  }
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----/

/** The certificates (PEM blocks) in a file; at least one, else a TlsConfigError. */
export function readCertificates(
  key: string,
  file: string,
): { pem: Buffer; certs: X509Certificate[] } {
  const pem = readTlsFile(key, file)
  const blocks = pem.toString('latin1').match(CERT_BLOCK) ?? []
  if (blocks.length === 0) {
    throw new TlsConfigError(
      key,
      `${file} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`,
    )
  }
  const certs = blocks.map((b, i) => {
    try {
      return new X509Certificate(b)
    } catch (err) {
      throw new TlsConfigError(
        key,
        `${file}: certificate ${i + 1} cannot be parsed: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
  })
  return { pem, certs }
}

/** A private key file, checked to parse (unencrypted PEM). */
export function readPrivateKey(key: string, file: string): Buffer {
  const pem = readTlsFile(key, file)
  const m = KEY_BLOCK.exec(pem.toString('latin1'))
  if (m === null) {
    throw new TlsConfigError(
      key,
      `${file} holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)`,
    )
  }
  // PKCS#8 encrypted, or a traditional key with a `Proc-Type: 4,ENCRYPTED` header. namerd says
  // the same of its own key (packages/namerd/src/tls.ts), in the same words.
  if (m[1] === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(pem.toString('latin1'))) {
    throw new TlsConfigError(key, `${file} is an encrypted key; give an unencrypted one`)
  }
  try {
    createPrivateKey(pem)
  } catch (err) {
    throw new TlsConfigError(key, `${file}: the key cannot be parsed: ${(err as Error).message}`, {
      cause: err,
    })
  }
  return pem
}

/** A certificate and its key, checked to belong together. */
export interface CertKeyPair {
  readonly cert: Buffer
  readonly key: Buffer
  /** The leaf certificate (the first in the cert file). */
  readonly leaf: X509Certificate
}

/**
 * Reads `certPath` and `keyPath` (already resolved) under the config keys `${key}.certPath` and
 * `${key}.keyPath`; a key that is not the certificate's is named with both files.
 */
export function readCertKeyPair(key: string, certPath: string, keyPath: string): CertKeyPair {
  const { pem: cert, certs } = readCertificates(`${key}.certPath`, certPath)
  const keyPem = readPrivateKey(`${key}.keyPath`, keyPath)
  const leaf = certs[0]!
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new TlsConfigError(
      `${key}.keyPath`,
      `${keyPath} is not the key of the certificate in ${certPath}`,
    )
  }
  return { cert, key: keyPem, leaf }
}

/** When the certificate is outside its validity now: a sentence, else undefined. */
export function validityProblem(cert: X509Certificate, now = Date.now()): string | undefined {
  const to = new Date(cert.validTo)
  const from = new Date(cert.validFrom)
  if (to.getTime() < now) return `the certificate expired at ${to.toISOString()}`
  if (from.getTime() > now) return `the certificate is not valid before ${from.toISOString()}`
  return undefined
}
