// Certificates for tests, made by openssl in a temp dir: a CA, server certificates for loopback
// (127.0.0.1, ::1, localhost) and a DNS name, an expired one, one for the wrong name, one signed
// by a CA nobody trusts, and client certificates for mTLS. EC P-256 keys: quick to make.
//
//   const certs = await makeTestCerts()
//   t.teardown(() => certs.close())
//   tls: { certPath: certs.server.certPath, keyPath: certs.server.keyPath }
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const OPENSSL = process.env.OPENSSL ?? 'openssl'

/** The DNS name the default server certificate carries besides localhost and the loopbacks. */
export const SERVER_NAME = 'hello.example'
/** The only name of the wrong-name certificate. */
export const WRONG_NAME = 'world.example'

/** A certificate and its key: paths and PEM text. */
export interface CertFiles {
  readonly certPath: string
  readonly keyPath: string
  readonly cert: string
  readonly key: string
}

export interface IssueOptions {
  /** subjectAltName entries: `DNS:name` or `IP:1.2.3.4`; default the loopbacks and localhost. */
  readonly sans?: readonly string[]
  /** Signed by the CA (default) or by the CA nobody trusts. */
  readonly signer?: 'ca' | 'otherCa'
  /** Valid only in 2020: expired now. */
  readonly expired?: boolean
  /** A client certificate (extendedKeyUsage clientAuth); default a server one (both, in fact). */
  readonly client?: boolean
}

export interface TestCerts {
  readonly dir: string
  /** The CA every good certificate is signed by: trust it (trustCerts, caCertPath). */
  readonly ca: CertFiles
  /** A second CA, trusted by nobody. */
  readonly otherCa: CertFiles
  /** Server: DNS:localhost, DNS:hello.example, IP:127.0.0.1, IP:::1; signed by ca. */
  readonly server: CertFiles
  /** Server: as `server` but expired (valid only in 2020). */
  readonly expired: CertFiles
  /** Server: only DNS:world.example (wrong for 127.0.0.1, localhost and hello.example); by ca. */
  readonly wrongName: CertFiles
  /** Server: as `server` but signed by otherCa. */
  readonly untrusted: CertFiles
  /** Client certificate CN=client.example, signed by ca. */
  readonly client: CertFiles
  /** Client certificate signed by otherCa: a server trusting ca refuses it. */
  readonly untrustedClient: CertFiles
  /** A PEM bundle holding both CAs (for trustCertsBundle). */
  readonly bundlePath: string
  /** Another certificate in the temp dir, e.g. one per service name for commonName templates. */
  issue(name: string, options?: IssueOptions): Promise<CertFiles>
  /** Removes the temp dir. */
  close(): Promise<void>
}

const LOOPBACK_SANS = ['DNS:localhost', `DNS:${SERVER_NAME}`, 'IP:127.0.0.1', 'IP:::1']

async function openssl(cwd: string, args: readonly string[]): Promise<void> {
  try {
    await run(OPENSSL, [...args], { cwd })
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`)
  }
}

async function files(dir: string, name: string): Promise<CertFiles> {
  const certPath = join(dir, `${name}.crt`)
  const keyPath = join(dir, `${name}.key`)
  return {
    certPath,
    keyPath,
    cert: await readFile(certPath, 'utf8'),
    key: await readFile(keyPath, 'utf8'),
  }
}

// `openssl req`'s arguments for a new unencrypted P-256 key written to `<name>.key`.
function newKey(name: string): string[] {
  return [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
  ]
}

async function makeCa(dir: string, name: string, cn: string): Promise<CertFiles> {
  await openssl(dir, [
    'req',
    '-x509',
    ...newKey(name),
    '-out',
    `${name}.crt`,
    '-days',
    '3650',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  // `openssl ca` keeps a database and a serial per CA: it is the one command of OpenSSL 3.0 that
  // sets a start and end date in the past (the expired certificate).
  await writeFile(join(dir, `${name}.index`), '')
  await writeFile(
    join(dir, `${name}.serial`),
    `${Math.floor(Math.random() * 0xffff)
      .toString(16)
      .padStart(4, '0')}01\n`,
  )
  await writeFile(
    join(dir, `${name}.cnf`),
    [
      '[ ca ]',
      `default_ca = ${name}`,
      `[ ${name} ]`,
      `database = ${name}.index`,
      'new_certs_dir = .',
      `serial = ${name}.serial`,
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      'copy_extensions = none',
      '[ policy_any ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  )
  return files(dir, name)
}

// One CA signs at a time: `openssl ca` rewrites its database and serial files.
const queues = new Map<string, Promise<unknown>>()
function serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve()
  const next = prev.then(fn, fn)
  queues.set(
    key,
    next.catch(() => undefined),
  )
  return next
}

async function issueIn(dir: string, name: string, options: IssueOptions = {}): Promise<CertFiles> {
  const signer = options.signer ?? 'ca'
  const sans = options.sans ?? LOOPBACK_SANS
  const cn =
    options.client === true
      ? `${name}.example`
      : (sans[0] ?? `DNS:${name}`).replace(/^(DNS|IP):/, '')
  await openssl(dir, ['req', '-new', ...newKey(name), '-out', `${name}.csr`, '-subj', `/CN=${cn}`])
  const ext = [
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${options.client === true ? 'clientAuth' : 'serverAuth,clientAuth'}`,
    ...(sans.length > 0 && options.client !== true ? [`subjectAltName = ${sans.join(',')}`] : []),
    '',
  ].join('\n')
  await writeFile(join(dir, `${name}.ext`), ext)
  const dates =
    options.expired === true
      ? ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']
      : ['-startdate', yesterday(), '-days', '3650']
  await serially(join(dir, signer), () =>
    openssl(dir, [
      'ca',
      '-batch',
      '-notext',
      '-config',
      `${signer}.cnf`,
      '-cert',
      `${signer}.crt`,
      '-keyfile',
      `${signer}.key`,
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
      ...dates,
    ]),
  )
  return files(dir, name)
}

// A day ago, in openssl's YYYYMMDDHHMMSSZ: a clock a little behind still finds the cert valid.
function yesterday(): string {
  return `${new Date(Date.now() - 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`
}

/** Makes the certificates in a new temp dir (about a second of openssl). */
export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-certs-'))
  const [ca, otherCa] = await Promise.all([
    makeCa(dir, 'ca', 'Switchyard Test CA'),
    makeCa(dir, 'otherCa', 'Untrusted Test CA'),
  ])
  const [server, expired, wrongName, untrusted, client, untrustedClient] = await Promise.all([
    issueIn(dir, 'server'),
    issueIn(dir, 'expired', { expired: true }),
    issueIn(dir, 'wrongName', { sans: [`DNS:${WRONG_NAME}`] }),
    issueIn(dir, 'untrusted', { signer: 'otherCa' }),
    issueIn(dir, 'client', { client: true }),
    issueIn(dir, 'untrustedClient', { client: true, signer: 'otherCa' }),
  ])
  const bundlePath = join(dir, 'bundle.crt')
  await writeFile(bundlePath, ca.cert + otherCa.cert)
  return {
    dir,
    ca,
    otherCa,
    server,
    expired,
    wrongName,
    untrusted,
    client,
    untrustedClient,
    bundlePath,
    issue: (name, options) => issueIn(dir, name, options),
    close: () => rm(dir, { recursive: true, force: true }),
  }
}
