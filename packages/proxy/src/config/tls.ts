// TLS settings in Linkerd 1's key names (linkerd/docs/tls.md): a server's certificate, key and
// optional client-certificate CA; a client's trusted CAs, the name to verify and its own
// certificate. Paths are read at start (a bad file is a start error naming the key) and, for
// servers, reloaded when they change (tls/server-context.ts).
import { z } from 'zod'

const FilePath = z.string().min(1, 'a file path')

/** A certificate and its key, PEM. */
export const CertAndKey = z.strictObject({
  certPath: FilePath,
  keyPath: FilePath,
})
export type CertAndKey = z.infer<typeof CertAndKey>

/** TLS versions by Linkerd's (and the JDK's) names, as node's minVersion/maxVersion take them. */
export const TLS_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const
export type TlsProtocol = (typeof TLS_PROTOCOLS)[number]

/**
 * Linkerd 1's `protocols: [TLSv1.2, TLSv1.3]`: the TLS versions allowed. Node takes a range,
 * so the oldest and newest listed bound it (minVersion, maxVersion).
 */
const Protocols = z
  .array(
    z.enum(TLS_PROTOCOLS, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a TLS version this proxy knows: use ${TLS_PROTOCOLS.join(', ')}`,
    }),
  )
  .min(1, 'at least one TLS version, e.g. [TLSv1.2, TLSv1.3]')

/** node's minVersion/maxVersion for Linkerd's `protocols`; {} when not set. */
export function protocolRange(protocols: readonly TlsProtocol[] | undefined): {
  minVersion?: TlsProtocol
  maxVersion?: TlsProtocol
} {
  if (protocols === undefined || protocols.length === 0) return {}
  const order = protocols.map((p) => TLS_PROTOCOLS.indexOf(p))
  return {
    minVersion: TLS_PROTOCOLS[Math.min(...order)]!,
    maxVersion: TLS_PROTOCOLS[Math.max(...order)]!,
  }
}

/**
 * A server's TLS. With `caCertPath`, client certificates signed by it are asked for; with
 * `requireClientAuth` too, a client without one is refused (mTLS).
 */
export const ServerTlsConfig = z
  .strictObject({
    ...CertAndKey.shape,
    /** PEM certificates sent after the leaf (Linkerd 1's key): the chain to a trusted root. */
    intermediateCertsPath: FilePath.optional(),
    caCertPath: FilePath.optional(),
    requireClientAuth: z.boolean().default(false),
    /** OpenSSL cipher list; default node's. */
    ciphers: z.array(z.string().min(1)).min(1).optional(),
    /** The TLS versions accepted (Linkerd 1's key); default node's (TLSv1.2 and TLSv1.3). */
    protocols: Protocols.optional(),
  })
  .refine((t) => !t.requireClientAuth || t.caCertPath !== undefined, {
    message: 'requireClientAuth needs caCertPath: the CA that signs the client certificates',
    path: ['requireClientAuth'],
  })
export type ServerTlsConfig = z.infer<typeof ServerTlsConfig>

/**
 * A client's TLS. `commonName` is the name the server's certificate must carry; it may use the
 * variables its io.l5d.static prefix captured (`{service}`). Without trustCerts, the system's
 * CAs (and NODE_EXTRA_CA_CERTS) are trusted.
 */
export const ClientTlsConfig = z.strictObject({
  /**
   * Linkerd 1's key: false turns TLS off (the other keys are then not used), e.g. for one
   * io.l5d.static prefix under a client whose own tls is on. Default true.
   */
  enabled: z.boolean().optional(),
  /** Skip verifying the server's certificate. For tests; says so in a warning at start. */
  disableValidation: z.boolean().default(false),
  commonName: z.string().min(1).optional(),
  /** PEM files of the CAs to trust, in place of the system's. */
  trustCerts: z.array(FilePath).min(1).optional(),
  /** One PEM file of CAs to trust (Linkerd 1.4's key), added to trustCerts. */
  trustCertsBundle: FilePath.optional(),
  /** This proxy's own certificate, for servers that ask for one (mTLS). */
  clientAuth: CertAndKey.optional(),
  /** The TLS versions offered (Linkerd 1's key); default node's (TLSv1.2 and TLSv1.3). */
  protocols: Protocols.optional(),
})

/** The config unless it turns TLS off (`enabled: false`). */
export function tlsIfEnabled<T extends { readonly enabled?: boolean | undefined }>(
  tls: T | undefined,
): T | undefined {
  return tls?.enabled === false ? undefined : tls
}
export type ClientTlsConfig = z.infer<typeof ClientTlsConfig>
