// A client's TLS (Linkerd's client `tls` keys): the CAs it trusts, the name the server's
// certificate must carry and its own certificate for mTLS. Loaded once per distinct config (many
// bound ids share one, and one secure context, so a connection does not re-parse the CAs).

import { isIP } from 'node:net'
import {
  type ConnectionOptions,
  checkServerIdentity,
  createSecureContext,
  type SecureContext,
} from 'node:tls'
import type { ClientTlsConfig } from '../config/tls.js'
import { readCertificates, readCertKeyPair, resolvePath } from './pem-files.js'
import { describeTlsError, TlsConfigError } from './tls-errors.js'

// Per config (commonName included) the instance; per set of files the secure context, so ids
// whose commonName templates differ still share the files read and the CAs parsed once.
const loaded = new Map<string, ClientTls>()
const contexts = new Map<
  string,
  { readonly context: SecureContext; readonly trustFiles: readonly string[] }
>()

export class ClientTls {
  private constructor(
    readonly config: ClientTlsConfig,
    /** The resolved files of the CAs trusted (trustCerts then trustCertsBundle); empty: the system's. */
    readonly trustFiles: readonly string[],
    private readonly context: SecureContext,
  ) {}

  /**
   * Reads and checks the files `config` names (relative to `baseDir`, the config file's
   * directory). Throws TlsConfigError naming `key` (the config key of this tls section, e.g.
   * `routers[0].client.tls`) and the file. The same config and baseDir give the same instance.
   */
  static load(config: ClientTlsConfig, baseDir: string, key = 'tls'): ClientTls {
    const cacheKey = JSON.stringify([baseDir, config])
    const cached = loaded.get(cacheKey)
    if (cached !== undefined) return cached
    const filesKey = JSON.stringify([
      baseDir,
      config.trustCerts,
      config.trustCertsBundle,
      config.clientAuth,
    ])
    let files = contexts.get(filesKey)
    if (files === undefined) {
      files = loadFiles(config, baseDir, key)
      contexts.set(filesKey, files)
    }
    const tls = new ClientTls(config, files.trustFiles, files.context)
    loaded.set(cacheKey, tls)
    return tls
  }

  /**
   * Options for `tls.connect` / `http2.connect` to `host`: the server's certificate is checked
   * against `commonName` when set, else against `host`; SNI carries that name unless it is an IP.
   */
  connectOptions(host: string, alpn?: readonly string[]): ConnectionOptions {
    const name = this.config.commonName ?? host
    const options: ConnectionOptions = {
      host,
      secureContext: this.context,
      ...(isIP(name) === 0 ? { servername: name } : {}),
      ...(alpn !== undefined ? { ALPNProtocols: [...alpn] } : {}),
    }
    if (this.config.disableValidation) {
      options.rejectUnauthorized = false
      options.checkServerIdentity = () => undefined
    } else {
      options.rejectUnauthorized = true
      options.checkServerIdentity = (_host, cert) => checkServerIdentity(name, cert)
    }
    return options
  }

  /** describeTlsError with what this config knows (its trusted CA files, its clientAuth). */
  describe(err: unknown, peer: string): string | undefined {
    return describeTlsError(err, peer, {
      trustCerts: this.trustFiles,
      clientAuth: this.config.clientAuth !== undefined,
    })
  }
}

function loadFiles(
  config: ClientTlsConfig,
  baseDir: string,
  key: string,
): { context: SecureContext; trustFiles: string[] } {
  const trustFiles: string[] = []
  const ca: Buffer[] = []
  config.trustCerts?.forEach((p, i) => {
    const file = resolvePath(baseDir, p)
    ca.push(readCertificates(`${key}.trustCerts[${i}]`, file).pem)
    trustFiles.push(file)
  })
  if (config.trustCertsBundle !== undefined) {
    const file = resolvePath(baseDir, config.trustCertsBundle)
    ca.push(readCertificates(`${key}.trustCertsBundle`, file).pem)
    trustFiles.push(file)
  }
  let pair: { cert: Buffer; key: Buffer } | undefined
  if (config.clientAuth !== undefined) {
    pair = readCertKeyPair(
      `${key}.clientAuth`,
      resolvePath(baseDir, config.clientAuth.certPath),
      resolvePath(baseDir, config.clientAuth.keyPath),
    )
  }
  try {
    const context = createSecureContext({
      ...(ca.length > 0 ? { ca } : {}),
      ...(pair !== undefined ? { cert: pair.cert, key: pair.key } : {}),
    })
    return { context, trustFiles }
  } catch (err) {
    throw new TlsConfigError(key, `the TLS files cannot be used: ${(err as Error).message}`, {
      cause: err,
    })
  }
}
