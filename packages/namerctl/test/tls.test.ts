// namerctl and an https namerd: its CA given with --ca-cert (NAMERCTL_CA_CERT, ca-cert in
// .namerctl.yaml), a client certificate with --cert and --key for a namerd that requires one,
// and each failure said with the flag that fixes it. Real namerd and namerctl processes.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { makeTestCerts, type TestCerts } from '../../../test/support/certs.js'
import { LineReader, startProcess } from '../../namerd/test/helpers.js'
import { NamerdClient } from '../src/client.js'
import { runCli, tempDir } from './helpers.js'

// Destinations that resolve without a namer, so namerctl's destination check passes.
const INTERNAL = '/host/world => /$/inet/127.0.0.1/9001;\n'

let certs: TestCerts
t.before(async () => {
  certs = await makeTestCerts()
})
t.teardown(() => certs.close())

interface Teardown {
  teardown(fn: () => unknown): void
}

/** namerd over https (memory store); `mtls`: client certificates signed by the CA required. */
async function httpsNamerd(t: Teardown, mtls = false): Promise<string> {
  const dir = await tempDir(t, 'namerctl-tls-')
  const config = join(dir, 'namerd.yaml')
  const tls = {
    certPath: certs.server.certPath,
    keyPath: certs.server.keyPath,
    ...(mtls ? { caCertPath: certs.ca.certPath, requireClientAuth: true } : {}),
  }
  await writeFile(
    config,
    `listen: 127.0.0.1:0\nstore: memory\nrollouts: {enabled: false}\ntls: ${JSON.stringify(tls)}\n`,
  )
  const namerd = await startProcess(t, ['--config', config])
  t.teardown(() => namerd.stop())
  return namerd.base.replace(/^http:/, 'https:')
}

t.test('--ca-cert: namerctl reads and writes an https namerd whose CA is private', async (t) => {
  const base = await httpsNamerd(t)
  const ca = ['--base-url', base, '--ca-cert', certs.ca.certPath]
  const created = await runCli([...ca, 'dtab', 'create', 'internal', '-'], { stdin: INTERNAL })
  t.equal(created.code, 0, created.stderr)
  const got = await runCli([...ca, 'dtab', 'get', 'internal'])
  t.equal(got.code, 0, got.stderr)
  t.match(got.stdout, /\/host\/world\s+=> \/\$\/inet\/127\.0\.0\.1\/9001/)
  const shifted = await runCli([
    ...ca,
    'shift',
    'internal',
    '/host/world',
    '/$/inet/127.0.0.1/9002=10',
    '/$/inet/127.0.0.1/9001=90',
  ])
  t.equal(shifted.code, 0, shifted.stderr)
  const list = await runCli(['dtab', 'list'], {
    env: { NAMERCTL_BASE_URL: base, NAMERCTL_CA_CERT: certs.ca.certPath },
  })
  t.equal(list.code, 0, list.stderr)
  t.equal(list.stdout.trim(), 'internal', 'NAMERCTL_CA_CERT works as --ca-cert')

  const dir = await tempDir(t, 'namerctl-tls-cfg-')
  await writeFile(join(dir, 'ca.crt'), certs.ca.cert)
  await writeFile(join(dir, '.namerctl.yaml'), `base-url: ${base}\nca-cert: ca.crt\n`)
  const fromFile = await runCli(['dtab', 'list'], { cwd: dir })
  t.equal(fromFile.code, 0, fromFile.stderr)
  t.equal(fromFile.stdout.trim(), 'internal', 'ca-cert in .namerctl.yaml, relative to the file')
})

t.test('without the CA, or with the wrong one, the error says which flag fixes it', async (t) => {
  const base = await httpsNamerd(t)
  const none = await runCli(['--base-url', base, 'dtab', 'list'])
  t.equal(none.code, 1)
  t.match(
    none.stderr,
    `namerd at ${base}: its certificate is signed by a CA namerctl does not trust`,
  )
  t.match(none.stderr, '--ca-cert <file>')
  const wrong = await runCli([
    '--base-url',
    base,
    '--ca-cert',
    certs.otherCa.certPath,
    'dtab',
    'list',
  ])
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, `--ca-cert ${certs.otherCa.certPath} did not sign it`)
  const missing = await runCli([
    '--base-url',
    base,
    '--ca-cert',
    '/nonexistent/ca.crt',
    'dtab',
    'list',
  ])
  t.equal(missing.code, 1)
  t.match(missing.stderr, 'cannot read --ca-cert /nonexistent/ca.crt')
  const plain = await runCli([
    '--base-url',
    base.replace(/^https:/, 'http:'),
    '--ca-cert',
    certs.ca.certPath,
    'dtab',
    'list',
  ])
  t.equal(plain.code, 2, 'a CA for an http:// base URL is a usage error')
  t.match(plain.stderr, 'are for an https namerd')
})

t.test('--cert and --key: a namerd that requires a client certificate (mTLS)', async (t) => {
  const base = await httpsNamerd(t, true)
  const ca = ['--base-url', base, '--ca-cert', certs.ca.certPath]
  const without = await runCli([...ca, 'dtab', 'list'])
  t.equal(without.code, 1)
  t.match(without.stderr, `namerd at ${base} requires a client certificate`)
  t.match(without.stderr, '--cert <file> --key <file>')

  const withCert = await runCli(
    [
      ...ca,
      '--cert',
      certs.client.certPath,
      '--key',
      certs.client.keyPath,
      'dtab',
      'create',
      'internal',
      '-',
    ],
    { stdin: INTERNAL },
  )
  t.equal(withCert.code, 0, withCert.stderr)
  const viaEnv = await runCli(['dtab', 'list'], {
    env: {
      NAMERCTL_BASE_URL: base,
      NAMERCTL_CA_CERT: certs.ca.certPath,
      NAMERCTL_CERT: certs.client.certPath,
      NAMERCTL_KEY: certs.client.keyPath,
    },
  })
  t.equal(viaEnv.code, 0, viaEnv.stderr)
  t.equal(viaEnv.stdout.trim(), 'internal')

  const halfPair = await runCli([...ca, '--cert', certs.client.certPath, 'dtab', 'list'])
  t.equal(halfPair.code, 2)
  t.match(halfPair.stderr, '--cert needs --key too')

  const otherCa = await runCli([
    ...ca,
    '--cert',
    certs.untrustedClient.certPath,
    '--key',
    certs.untrustedClient.keyPath,
    'dtab',
    'list',
  ])
  t.equal(otherCa.code, 1, 'a client certificate from another CA is refused')
  // Node's TLS server refuses it by closing, without an alert: the hint names the likely cause.
  t.match(
    otherCa.stderr,
    /refused namerctl's client certificate|--cert \S+ may not be signed by the CA it trusts for clients/,
  )
})

t.test('a watch streams through the https transport as through fetch', async (t) => {
  const base = await httpsNamerd(t)
  const ca = ['--base-url', base, '--ca-cert', certs.ca.certPath]
  t.equal((await runCli([...ca, 'dtab', 'create', 'w', '-'], { stdin: INTERNAL })).code, 0)
  const client = new NamerdClient(new URL(base), {
    tls: { caCert: { path: certs.ca.certPath, from: '--ca-cert' } },
  })
  const ac = new AbortController()
  t.teardown(() => ac.abort())
  const res = await client.request('GET', '/api/1/dtabs/w', {
    accept: 'application/json',
    query: { watch: '1' },
    stream: true,
    signal: ac.signal,
  })
  const lines = new LineReader(res)
  t.teardown(() => lines.cancel())
  t.match(await lines.next(), '9001')
  const updated = await runCli([...ca, 'dtab', 'update', 'w', '-'], {
    stdin: '/host/world => /$/inet/127.0.0.1/9002;\n',
  })
  t.equal(updated.code, 0, updated.stderr)
  t.match(await lines.next(), '9002', 'the change arrives on the open stream')
})
