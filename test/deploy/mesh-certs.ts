// Stand-in certificates for the Secret switchyard-mesh-tls (deploy/components/mesh-tls): a CA
// and one certificate it signed for the name the proxies check, switchyard-proxy.switchyard.svc,
// usable as server and client certificate, made by openssl as docs/kubernetes.md tells a user to
// make them. Made once per process, in a temporary folder removed at exit.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The name every proxy's certificate carries and every outgoing router checks. */
export const MESH_NAME = 'switchyard-proxy.switchyard.svc'

/** The Secret's keys and their PEM text. */
export type MeshCerts = {
  readonly 'tls.crt': string
  readonly 'tls.key': string
  readonly 'ca.crt': string
}

let made: MeshCerts | undefined

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** The CA and the proxies' certificate (made on first use). */
export function meshCerts(): MeshCerts {
  if (made !== undefined) return made
  const dir = mkdtempSync(join(tmpdir(), 'mesh-certs-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=mesh CA',
    ]),
    dir,
  )
  writeFileSync(
    join(dir, 'ext.cnf'),
    `subjectAltName=DNS:${MESH_NAME}\nextendedKeyUsage=serverAuth,clientAuth\n`,
  )
  openssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      'tls.key',
      '-out',
      'tls.csr',
      '-subj',
      `/CN=${MESH_NAME}`,
    ]),
    dir,
  )
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'tls.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
    ].concat(['-out', 'tls.crt', '-days', '2', '-extfile', 'ext.cnf']),
    dir,
  )
  const read = (f: string) => readFileSync(join(dir, f), 'utf8')
  made = { 'tls.crt': read('tls.crt'), 'tls.key': read('tls.key'), 'ca.crt': read('ca.crt') }
  return made
}
