// The TLS files a proxy config names, read and checked before anything starts (and by
// `--check`): a missing file, one that is not PEM, a key that is not its certificate's is a
// config error naming the key and the file, as a namer's missing rootDir is.
import type { ProxyConfig, RouterConfig } from '../config/schema.js'
import { type ClientTlsConfig, type ServerTlsConfig, tlsIfEnabled } from '../config/tls.js'
import { ClientTls } from './client-tls.js'
import { readCertificates, readCertKeyPair, resolvePath, validityProblem } from './pem-files.js'
import { checkServerContext } from './server-tls.js'
import { TlsConfigError } from './tls-errors.js'

/** One sentence per TLS section that cannot be used, each starting with its config key. */
export function tlsFileProblems(config: ProxyConfig, baseDir: string): string[] {
  const problems: string[] = []
  const check = (fn: () => void) => {
    try {
      fn()
    } catch (err) {
      if (!(err instanceof TlsConfigError)) throw err
      problems.push(err.message)
    }
  }
  config.routers.forEach((r, i) => {
    r.servers.forEach((s, j) => {
      const tls = s.tls
      if (tls === undefined) return
      const key = `routers[${i}].servers[${j}].tls`
      check(() => {
        const pair = readCertKeyPair(
          key,
          resolvePath(baseDir, tls.certPath),
          resolvePath(baseDir, tls.keyPath),
        )
        const intermediates =
          tls.intermediateCertsPath === undefined
            ? undefined
            : readCertificates(
                `${key}.intermediateCertsPath`,
                resolvePath(baseDir, tls.intermediateCertsPath),
              ).pem
        const ca =
          tls.caCertPath === undefined
            ? undefined
            : readCertificates(`${key}.caCertPath`, resolvePath(baseDir, tls.caCertPath)).pem
        // The secure context the server would build: an unusable cipher list is found here, as
        // at start (server-tls.ts), not only when the port is bound.
        checkServerContext(key, tls, { ...pair, intermediates }, ca)
      })
    })
    const namerd = r.interpreter !== undefined && 'dst' in r.interpreter ? r.interpreter : undefined
    const namerdTls = tlsIfEnabled(namerd?.tls)
    if (namerdTls !== undefined) {
      const tls = namerdTls
      check(() => ClientTls.load(tls, baseDir, `routers[${i}].interpreter.tls`))
    }
    const c = r.client
    const clientTls = tlsIfEnabled(c.tls)
    if (clientTls !== undefined) {
      const tls = clientTls
      check(() => ClientTls.load(tls, baseDir, `routers[${i}].client.tls`))
    }
    c.configs?.forEach((entry, k) => {
      const tls = tlsIfEnabled(entry.tls)
      if (tls !== undefined) {
        check(() => ClientTls.load(tls, baseDir, `routers[${i}].client.configs[${k}].tls`))
      }
    })
  })
  return problems
}

const VARIABLE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** The `{variable}` names in `text`. */
const variables = (text: string): string[] => [...text.matchAll(VARIABLE)].map((m) => m[1]!)

/**
 * What a router's client TLS settings will do wrong though the config is valid: one sentence
 * per problem, keyed like the config under the router (`client.configs[1].tls.commonName`).
 * Every router kind logs them at start and --check prints them.
 * - `disableValidation: true`: backends' certificates are not checked (for tests only).
 * - a commonName `{variable}` that is never filled: it stays as written and no certificate
 *   matches. A config's commonName is filled from its own prefix's captures (configs apply per
 *   prefix, each matching one on its own), so each is checked against its own prefix; the
 *   client's own `tls.commonName` against any prefix's.
 */
export function clientTlsWarnings(router: Pick<RouterConfig, 'client'>): string[] {
  const client = router.client
  const out: string[] = []
  const check = (
    key: string,
    tls: ClientTlsConfig | undefined,
    captured: ReadonlySet<string>,
    prefix?: string,
  ) => {
    if (tls === undefined || tls.enabled === false) return
    if (tls.disableValidation) {
      out.push(
        `${key}.disableValidation: the certificates of backends are not checked; for tests only`,
      )
    }
    const commonName = tls.commonName
    if (commonName === undefined) return
    const missing = variables(commonName).filter((name) => !captured.has(name))
    if (missing.length > 0) {
      out.push(
        `${key}.commonName ${JSON.stringify(commonName)}: no prefix captures ${missing.map((n) => `{${n}}`).join(', ')}${prefix === undefined ? '' : ` for it (its own prefix ${prefix} fills it)`}, so it stays as written and no certificate will match; capture it in an io.l5d.static prefix (/#/io.l5d.fs/{${missing[0]}})`,
      )
    }
  }
  const all = new Set((client.configs ?? []).flatMap((entry) => variables(entry.prefix)))
  check('client.tls', client.tls, all)
  client.configs?.forEach((entry, k) => {
    check(`client.configs[${k}].tls`, entry.tls, new Set(variables(entry.prefix)), entry.prefix)
  })
  return out
}

/** The commonName warnings of clientTlsWarnings alone (kept for its callers). */
export function commonNameWarnings(client: RouterConfig['client']): string[] {
  return clientTlsWarnings({ client }).filter((w) => w.includes('.commonName '))
}

/**
 * The warnings --check prints for the whole config (a start logs the same ones, each where its
 * section is loaded): every router's clientTlsWarnings and an interpreter's disableValidation,
 * keyed from the top (`routers[0].client.tls.disableValidation: ...`).
 */
export function tlsWarnings(config: ProxyConfig): string[] {
  return config.routers.flatMap((r, i) => {
    const out = clientTlsWarnings(r).map((w) => `routers[${i}].${w}`)
    const namerd = r.interpreter !== undefined && 'dst' in r.interpreter ? r.interpreter : undefined
    if (tlsIfEnabled(namerd?.tls)?.disableValidation === true) {
      out.push(`routers[${i}].${INTERPRETER_DISABLE_VALIDATION}`)
    }
    return out
  })
}

/** The interpreter's warning (interpret/config.ts logs it at start). */
export const INTERPRETER_DISABLE_VALIDATION =
  "interpreter.tls.disableValidation: namerd's certificate is not checked; anyone on the path can pose as namerd and route this proxy's traffic"

/**
 * A server's TLS for --check's summary: `tls, mTLS required: CN=hello.example, not after
 * 2036-01-01T00:00:00.000Z`, with `EXPIRED` (or `NOT YET VALID`) when the certificate is out of
 * its validity now. Call after tlsFileProblems found the files good.
 */
export function describeServerTls(tls: ServerTlsConfig, baseDir: string, now = Date.now()): string {
  const leaf = readCertificates('certPath', resolvePath(baseDir, tls.certPath)).certs[0]!
  const mtls =
    tls.caCertPath === undefined
      ? ''
      : tls.requireClientAuth
        ? ', mTLS required'
        : ', mTLS optional'
  const validity = validityProblem(leaf, now)
  const flag =
    validity === undefined
      ? ''
      : new Date(leaf.validTo).getTime() < now
        ? ', EXPIRED'
        : ', NOT YET VALID'
  return `tls${mtls}: ${leaf.subject.replaceAll('\n', ', ')}, not after ${new Date(leaf.validTo).toISOString()}${flag}`
}
