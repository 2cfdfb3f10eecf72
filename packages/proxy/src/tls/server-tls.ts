// A server's TLS (Linkerd's server `tls` keys): its certificate and key, the CA of the client
// certificates it asks for (mTLS), and a reload when the files change. The files are polled by
// path (stat), not watched by inode, because certificate rotation usually replaces files (a
// Kubernetes Secret swaps a symlink): a watch on the old inode would never fire again.
import { statSync } from 'node:fs'
import {
  createSecureContext,
  type SecureContextOptions,
  type Server,
  type TlsOptions,
} from 'node:tls'
import type { Logger } from 'pino'
import { protocolRange, type ServerTlsConfig } from '../config/tls.js'
import {
  type CertKeyPair,
  readCertificates,
  readCertKeyPair,
  resolvePath,
  validityProblem,
} from './pem-files.js'
import { TlsConfigError } from './tls-errors.js'

export interface ServerTlsOptions {
  /** The config key of this tls section, named in errors: `routers[0].servers[1].tls`. */
  readonly key?: string
  /** How often the files are checked for a change (ms); default 2000. */
  readonly pollMs?: number
}

interface Loaded {
  readonly pair: CertKeyPair
  /** intermediateCertsPath's certificates, sent after the leaf. */
  readonly intermediates: Buffer | undefined
  readonly ca: Buffer | undefined
}

export class ServerTls {
  private current: Loaded
  private readonly servers = new Set<Server>()
  private timer: NodeJS.Timeout | undefined
  private stamp: string
  /** The stamp of files last found bad, so one bad state is logged once, not every poll. */
  private badStamp: string | undefined

  private constructor(
    readonly config: ServerTlsConfig,
    private readonly files: {
      readonly cert: string
      readonly key: string
      readonly intermediates: string | undefined
      readonly ca: string | undefined
    },
    private readonly logger: Logger,
    private readonly alpn: readonly string[],
    private readonly key: string,
    private readonly pollMs: number,
    loaded: Loaded,
    /** The files' stamp taken before they were read: a change while reading is seen next poll. */
    stamp: string,
  ) {
    this.current = loaded
    this.stamp = stamp
  }

  /**
   * Reads and checks the files (relative to `baseDir`). Throws TlsConfigError naming the key and
   * the file: a missing or unreadable file, one that is not PEM, a key that is not the
   * certificate's. An expired certificate (or one not yet valid) is a warning: clients say so.
   */
  static async load(
    config: ServerTlsConfig,
    baseDir: string,
    logger: Logger,
    alpn: readonly string[],
    options: ServerTlsOptions = {},
  ): Promise<ServerTls> {
    const key = options.key ?? 'tls'
    const files = {
      cert: resolvePath(baseDir, config.certPath),
      key: resolvePath(baseDir, config.keyPath),
      intermediates:
        config.intermediateCertsPath === undefined
          ? undefined
          : resolvePath(baseDir, config.intermediateCertsPath),
      ca: config.caCertPath === undefined ? undefined : resolvePath(baseDir, config.caCertPath),
    }
    const stamp = fileStamp(files)
    const loaded = readFiles(key, files)
    const problem = validityProblem(loaded.pair.leaf)
    if (problem !== undefined) {
      logger.warn(
        { key: `${key}.certPath`, file: files.cert },
        `${key}.certPath: ${problem}; clients will refuse it`,
      )
    }
    const tls = new ServerTls(
      config,
      files,
      logger,
      alpn,
      key,
      options.pollMs ?? 2000,
      loaded,
      stamp,
    )
    tls.checkContext(loaded)
    return tls
  }

  /** Options for `tls.createServer` / `https.createServer` / `http2.createSecureServer`. */
  options(): TlsOptions {
    return {
      ...this.contextOptions(this.current),
      requestCert: this.files.ca !== undefined,
      rejectUnauthorized: this.config.requireClientAuth,
      ALPNProtocols: [...this.alpn],
    }
  }

  /** Reloads `server`'s certificate when the files change; a bad new file keeps the old one. */
  watch(server: Server): void {
    this.servers.add(server)
    server.once('close', () => this.servers.delete(server))
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.poll(), this.pollMs)
      this.timer.unref()
    }
  }

  /** Stops watching the files. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.servers.clear()
  }

  /** Checks the files now (the poll's work; tests call it to not wait). True when reloaded. */
  poll(): boolean {
    const stamp = fileStamp(this.files)
    if (stamp === this.stamp) {
      // The files put back as they were after a failed reload: say so, or the last word in
      // the log stays the warning.
      if (this.badStamp !== undefined) {
        this.badStamp = undefined
        this.logger.info(
          { key: this.key, file: this.files.cert },
          `${this.key}: the files are usable again (as before); still serving the certificate from ${this.files.cert}`,
        )
      }
      return false
    }
    let loaded: Loaded
    try {
      loaded = readFiles(this.key, this.files)
      this.checkContext(loaded)
      // An expired (or not yet valid) replacement of a valid certificate is a mistaken rotation
      // like a mismatched key: every new handshake would fail. Keep the old one; the files are
      // read again each poll, so one that becomes valid is taken then.
      const problem = validityProblem(loaded.pair.leaf)
      if (problem !== undefined && validityProblem(this.current.pair.leaf) === undefined) {
        throw new TlsConfigError(
          `${this.key}.certPath`,
          `the new certificate in ${this.files.cert}: ${problem}`,
        )
      }
    } catch (err) {
      // A cert and its key are rarely replaced at the same instant: a mismatch may be half a
      // rotation. Keep serving the old pair, say why once, and try again at the next change.
      if (this.badStamp !== stamp) {
        this.badStamp = stamp
        this.logger.warn(
          { key: this.key, err: (err as Error).message },
          `${(err as Error).message}; still serving the previous certificate`,
        )
      }
      return false
    }
    const recovered = this.badStamp !== undefined
    this.stamp = stamp
    this.badStamp = undefined
    this.current = loaded
    const problem = validityProblem(loaded.pair.leaf)
    if (problem !== undefined) {
      this.logger.warn(
        { key: `${this.key}.certPath` },
        `${this.key}.certPath: the new certificate: ${problem}`,
      )
    }
    for (const server of this.servers) server.setSecureContext(this.contextOptions(loaded))
    this.logger.info(
      { key: this.key, file: this.files.cert, notAfter: loaded.pair.leaf.validTo },
      `${this.key}: reloaded the certificate from ${this.files.cert}${recovered ? ' (the files are usable again)' : ''}`,
    )
    return true
  }

  private contextOptions(loaded: Loaded): SecureContextOptions {
    return serverContextOptions(this.config, loadedChain(loaded), loaded.ca)
  }

  // Building a context once at load turns a bad cipher list into a start error, not a failure of
  // every handshake.
  private checkContext(loaded: Loaded): void {
    checkServerContext(this.key, this.config, loadedChain(loaded), loaded.ca)
  }
}

/**
 * Builds the secure context a server with `config` and these files would use; throws a
 * TlsConfigError under `${key}.ciphers` (or `key`) when OpenSSL refuses it. --check calls it
 * too (check-files.ts), so it refuses what a start would.
 */
export function checkServerContext(
  key: string,
  config: ServerTlsConfig,
  pair: ServerChain,
  ca: Buffer | undefined,
): void {
  try {
    createSecureContext(serverContextOptions(config, pair, ca))
  } catch (err) {
    const k = config.ciphers !== undefined ? `${key}.ciphers` : key
    throw new TlsConfigError(k, `the TLS settings cannot be used: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

function serverContextOptions(
  config: ServerTlsConfig,
  pair: ServerChain,
  ca: Buffer | undefined,
): SecureContextOptions {
  return {
    // The leaf, then the intermediates (Linkerd's intermediateCertsPath): one chain.
    cert:
      pair.intermediates === undefined
        ? pair.cert
        : Buffer.concat([pair.cert, Buffer.from('\n'), pair.intermediates]),
    key: pair.key,
    ...(ca !== undefined ? { ca } : {}),
    ...(config.ciphers !== undefined ? { ciphers: config.ciphers.join(':') } : {}),
    ...protocolRange(config.protocols),
  }
}

/** A server's certificate file, key and intermediates (PEM). */
export interface ServerChain {
  readonly cert: Buffer
  readonly key: Buffer
  readonly intermediates?: Buffer | undefined
}

function loadedChain(loaded: Loaded): ServerChain {
  return { ...loaded.pair, intermediates: loaded.intermediates }
}

function readFiles(
  key: string,
  files: {
    readonly cert: string
    readonly key: string
    readonly intermediates: string | undefined
    readonly ca: string | undefined
  },
): Loaded {
  const pair = readCertKeyPair(key, files.cert, files.key)
  const intermediates =
    files.intermediates === undefined
      ? undefined
      : readCertificates(`${key}.intermediateCertsPath`, files.intermediates).pem
  const ca =
    files.ca === undefined ? undefined : readCertificates(`${key}.caCertPath`, files.ca).pem
  return { pair, intermediates, ca }
}

/** What changes when a file is replaced or rewritten: inode, size and mtime of each path. */
function fileStamp(files: {
  readonly cert: string
  readonly key: string
  readonly intermediates: string | undefined
  readonly ca: string | undefined
}): string {
  return [files.cert, files.key, files.intermediates, files.ca]
    .map((f) => {
      if (f === undefined) return ''
      try {
        const s = statSync(f)
        return `${s.ino}:${s.size}:${s.mtimeMs}`
      } catch {
        return 'missing'
      }
    })
    .join('|')
}
