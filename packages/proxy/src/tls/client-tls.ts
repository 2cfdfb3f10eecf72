// A client's TLS (Linkerd's client `tls` keys): the CAs it trusts, the name the server's
// certificate must carry and its own certificate for mTLS. Loaded once per distinct config (many
// bound ids share one, and one secure context, so a connection does not re-parse the CAs).

import { statSync } from 'node:fs'
import { isIP } from 'node:net'
import {
  type ConnectionOptions,
  checkServerIdentity,
  connect,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
} from 'node:tls'
import { type ClientTlsConfig, protocolRange } from '../config/tls.js'
import { readCertificates, readCertKeyPair, resolvePath } from './pem-files.js'
import { describeTlsError, TlsConfigError } from './tls-errors.js'

// Per config (commonName included) the instance; per set of files one ClientFiles, so ids whose
// commonName templates differ still share the files read and the CAs parsed once.
const loaded = new Map<string, ClientTls>()
const shared = new Map<string, ClientFiles>()

/** Instances kept for reuse, the oldest dropped first. */
const MAX_INSTANCES = 4096
/** How often, at most, a connection checks whether the files changed (ms). */
const CHECK_MS = 2000

export class ClientTls {
  private constructor(
    readonly config: ClientTlsConfig,
    private readonly files: ClientFiles,
  ) {}

  /** The resolved files of the CAs trusted (trustCerts then trustCertsBundle); empty: the system's. */
  get trustFiles(): readonly string[] {
    return this.files.trustFiles
  }

  /** Why the last reload of changed files failed (the previous files stay in use), if it did. */
  get reloadError(): TlsConfigError | undefined {
    return this.files.reloadError
  }

  /**
   * Reads and checks the files `config` names (relative to `baseDir`, the config file's
   * directory). Throws TlsConfigError naming `key` (the config key of this tls section, e.g.
   * `routers[0].client.tls`) and the file. The same config and baseDir give the same instance.
   * The files are read again when they change (checked at most every 2 s, on a new
   * connection), so a rotated client certificate or CA is used without a restart.
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
      config.protocols,
    ])
    let files = shared.get(filesKey)
    if (files === undefined) {
      files = new ClientFiles(config, baseDir, key)
      shared.set(filesKey, files)
    }
    const tls = new ClientTls(config, files)
    // commonName templates filled from bound ids make one config per name, and overrides
    // (l5d-dtab) choose names: the instances (cheap, the files are shared) are bounded.
    if (loaded.size >= MAX_INSTANCES) loaded.delete(loaded.keys().next().value!)
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
      secureContext: this.files.current(),
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

  /**
   * describe(), with the dates of a certificate out of its validity: node's CERT_HAS_EXPIRED
   * carries no certificate, so one more handshake to `host:port`, not verified and sending
   * nothing, reads it (bounded by `timeoutMs`). Other errors are described at once.
   */
  async describeWithDates(
    err: unknown,
    host: string,
    port: number,
    peer: string,
    timeoutMs = 1000,
  ): Promise<string | undefined> {
    const code = (err as { code?: unknown } | null)?.code
    if (code !== 'CERT_HAS_EXPIRED' && code !== 'CERT_NOT_YET_VALID')
      return this.describe(err, peer)
    const cert = await peekCertificate({ ...this.connectOptions(host), port }, timeoutMs)
    if (cert === undefined) return this.describe(err, peer)
    return this.describe(
      Object.assign(Object.create(err as object) as object, { code, cert }),
      peer,
    )
  }

  /**
   * describeTlsError with what this config knows (its trusted CA files, its clientAuth);
   * `handshaking`: the error came before the handshake finished (a reset then is named so).
   */
  describe(err: unknown, peer: string, handshaking = false): string | undefined {
    return describeTlsError(err, peer, {
      trustCerts: this.trustFiles,
      clientAuth: this.config.clientAuth !== undefined,
      handshaking,
    })
  }
}

/** The files of one client TLS config, read at load and again when they change. */
class ClientFiles {
  readonly trustFiles: readonly string[]
  private readonly paths: readonly string[]
  private context: SecureContext
  private stamp: string
  private checkedAt = Date.now()
  reloadError: TlsConfigError | undefined

  constructor(
    private readonly config: ClientTlsConfig,
    private readonly baseDir: string,
    private readonly key: string,
  ) {
    // The stamp is taken before the files are read: one changed while reading is read again.
    this.paths = configPaths(config, baseDir)
    this.stamp = fileStamp(this.paths)
    const loaded = loadFiles(config, baseDir, key)
    this.context = loaded.context
    this.trustFiles = loaded.trustFiles
  }

  /** The secure context, rebuilt first if the files changed since the last check. */
  current(): SecureContext {
    const now = Date.now()
    if (now - this.checkedAt < CHECK_MS || this.paths.length === 0) return this.context
    this.checkedAt = now
    const stamp = fileStamp(this.paths)
    if (stamp === this.stamp) return this.context
    try {
      this.context = loadFiles(this.config, this.baseDir, this.key).context
      this.stamp = stamp
      this.reloadError = undefined
    } catch (err) {
      // A half-done rotation (a new cert, the old key): keep the previous files, try again at
      // the next check.
      if (err instanceof TlsConfigError) this.reloadError = err
      else throw err
    }
    return this.context
  }
}

/** Every file a client TLS config names, resolved. */
function configPaths(config: ClientTlsConfig, baseDir: string): string[] {
  return [
    ...(config.trustCerts ?? []),
    ...(config.trustCertsBundle !== undefined ? [config.trustCertsBundle] : []),
    ...(config.clientAuth !== undefined
      ? [config.clientAuth.certPath, config.clientAuth.keyPath]
      : []),
  ].map((p) => resolvePath(baseDir, p))
}

function fileStamp(paths: readonly string[]): string {
  return paths
    .map((f) => {
      try {
        const s = statSync(f)
        return `${s.ino}:${s.size}:${s.mtimeMs}`
      } catch {
        return 'missing'
      }
    })
    .join('|')
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
    const certPath = resolvePath(baseDir, config.clientAuth.certPath)
    const keyPath = resolvePath(baseDir, config.clientAuth.keyPath)
    pair = readCertKeyPair(`${key}.clientAuth`, certPath, keyPath)
  }
  try {
    const context = createSecureContext({
      ...(ca.length > 0 ? { ca } : {}),
      ...(pair !== undefined ? { cert: pair.cert, key: pair.key } : {}),
      // protocols (Linkerd's): the connection options' own min/maxVersion are not read when a
      // secureContext is given, so the context carries them.
      ...protocolRange(config.protocols),
    })
    return { context, trustFiles }
  } catch (err) {
    throw new TlsConfigError(key, `the TLS files cannot be used: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/** The certificate a TLS server presents, read without verifying it; undefined on any failure. */
function peekCertificate(
  options: ConnectionOptions,
  timeoutMs: number,
): Promise<PeerCertificate | undefined> {
  return new Promise((resolve) => {
    const socket = connect({
      ...options,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    })
    const done = (cert: PeerCertificate | undefined) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(cert)
    }
    const timer = setTimeout(() => done(undefined), timeoutMs)
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate()
      done(cert !== null && typeof cert.valid_to === 'string' ? cert : undefined)
    })
    socket.once('error', () => done(undefined))
  })
}
