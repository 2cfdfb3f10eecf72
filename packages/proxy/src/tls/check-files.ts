// The TLS files a proxy config names, read and checked before anything starts (and by
// `--check`): a missing file, one that is not PEM, a key that is not its certificate's is a
// config error naming the key and the file, as a namer's missing rootDir is.
import type { ProxyConfig, RouterConfig } from '../config/schema.js'
import { ClientTls } from './client-tls.js'
import { readCertificates, readCertKeyPair, resolvePath } from './pem-files.js'
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
        const ca =
          tls.caCertPath === undefined
            ? undefined
            : readCertificates(`${key}.caCertPath`, resolvePath(baseDir, tls.caCertPath)).pem
        // The secure context the server would build: an unusable cipher list is found here, as
        // at start (server-tls.ts), not only when the port is bound.
        checkServerContext(key, tls, pair, ca)
      })
    })
    const namerd = r.interpreter !== undefined && 'dst' in r.interpreter ? r.interpreter : undefined
    if (namerd?.tls !== undefined) {
      const tls = namerd.tls
      check(() => ClientTls.load(tls, baseDir, `routers[${i}].interpreter.tls`))
    }
    const c = r.client
    if (c.tls !== undefined) {
      const tls = c.tls
      check(() => ClientTls.load(tls, baseDir, `routers[${i}].client.tls`))
    }
    c.configs?.forEach((entry, k) => {
      const tls = entry.tls
      if (tls !== undefined) {
        check(() => ClientTls.load(tls, baseDir, `routers[${i}].client.configs[${k}].tls`))
      }
    })
  })
  return problems
}

const VARIABLE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/**
 * commonName templates with a `{variable}` no prefix captures: it would stay as written and
 * every certificate would fail the check. One sentence per template, keyed like the config
 * (`client.configs[1].tls.commonName`); a warning at start, since the config is still valid.
 */
export function commonNameWarnings(client: RouterConfig['client']): string[] {
  const captured = new Set<string>()
  for (const entry of client.configs ?? []) {
    for (const m of entry.prefix.matchAll(VARIABLE)) captured.add(m[1]!)
  }
  const out: string[] = []
  const check = (key: string, commonName: string | undefined) => {
    if (commonName === undefined) return
    const missing = [...commonName.matchAll(VARIABLE)]
      .map((m) => m[1]!)
      .filter((name) => !captured.has(name))
    if (missing.length > 0) {
      out.push(
        `${key}.commonName ${JSON.stringify(commonName)}: no prefix captures ${missing.map((n) => `{${n}}`).join(', ')}, so it stays as written and no certificate will match; capture it in an io.l5d.static prefix (/#/io.l5d.fs/{${missing[0]}})`,
      )
    }
  }
  check('client.tls', client.tls?.commonName)
  client.configs?.forEach((entry, k) => {
    check(`client.configs[${k}].tls`, entry.tls?.commonName)
  })
  return out
}
