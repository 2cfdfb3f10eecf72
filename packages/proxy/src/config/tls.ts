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

/**
 * A server's TLS. With `caCertPath`, client certificates signed by it are asked for; with
 * `requireClientAuth` too, a client without one is refused (mTLS).
 */
export const ServerTlsConfig = z
  .strictObject({
    ...CertAndKey.shape,
    caCertPath: FilePath.optional(),
    requireClientAuth: z.boolean().default(false),
    /** OpenSSL cipher list; default node's. */
    ciphers: z.array(z.string().min(1)).min(1).optional(),
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
  /** Skip verifying the server's certificate. For tests; says so in a warning at start. */
  disableValidation: z.boolean().default(false),
  commonName: z.string().min(1).optional(),
  /** PEM files of the CAs to trust, in place of the system's. */
  trustCerts: z.array(FilePath).min(1).optional(),
  /** One PEM file of CAs to trust (Linkerd 1.4's key), added to trustCerts. */
  trustCertsBundle: FilePath.optional(),
  /** This proxy's own certificate, for servers that ask for one (mTLS). */
  clientAuth: CertAndKey.optional(),
})
export type ClientTlsConfig = z.infer<typeof ClientTlsConfig>
