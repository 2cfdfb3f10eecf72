// `switchyard-proxy --check` on TLS configs, as users run it (the built dist/main.js): it refuses
// what a start would refuse (exit 2, the config file and key named), shows each server's TLS and
// the namerd interpreter's scheme, and prints the client-TLS warnings a start logs.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { tempDir } from './interpret-helpers.js'

const MAIN = resolve(fileURLToPath(import.meta.url), '../../dist/main.js')
const certs = await makeTestCerts()
t.teardown(() => certs.close())

interface Exit {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

function run(args: string[]): Promise<Exit> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })))
}

/** Writes `lines` as a config file in a fresh directory; returns its path. */
async function configFile(t: Parameters<typeof tempDir>[0], lines: string[]): Promise<string> {
  const file = join(await tempDir(t), 'proxy.yaml')
  await writeFile(file, `${lines.join('\n')}\n`)
  return file
}

const j = JSON.stringify

t.test('--check refuses a cipher list OpenSSL cannot use, as a start does: exit 2', async (t) => {
  const file = await configFile(t, [
    'routers:',
    '  - interpreter: {kind: local, dtab: "/svc => /$/inet/127.0.0.1/1"}',
    '    servers:',
    `      - {port: 0, tls: {certPath: ${j(certs.server.certPath)}, keyPath: ${j(certs.server.keyPath)}, ciphers: [NOPE-CIPHER]}}`,
  ])
  for (const args of [
    ['--check', '--config', file],
    ['--config', file],
  ]) {
    const r = await run(args)
    t.equal(r.code, 2, `${args.join(' ')}: a config error`)
    t.match(
      r.stderr,
      new RegExp(
        `^switchyard-proxy: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: routers\\[0\\]\\.servers\\[0\\]\\.tls\\.ciphers: the TLS settings cannot be used: .*no cipher match`,
      ),
    )
    t.equal(r.stdout, '')
  }
})

t.test(
  '--check prints the client TLS warnings a start logs, each against its own prefix',
  async (t) => {
    const ca = j(certs.ca.certPath)
    const file = await configFile(t, [
      'routers:',
      '  - protocol: h2',
      '    interpreter:',
      '      kind: io.l5d.namerd.http',
      '      dst: /$/inet/127.0.0.1/4180',
      '      namespace: default',
      `      tls: {disableValidation: true, trustCerts: [${ca}]}`,
      '    servers: [{port: 0}]',
      '    client:',
      '      kind: io.l5d.static',
      '      configs:',
      `        - {prefix: "/#/io.l5d.fs/{service}", tls: {commonName: "{service}.example", trustCerts: [${ca}]}}`,
      `        - {prefix: "/#/io.l5d.k8s/*", tls: {commonName: "{service}.example", trustCerts: [${ca}]}}`,
      `        - {prefix: "/$/inet", tls: {disableValidation: true}}`,
    ])
    const r = await run(['--check', '--config', file])
    t.equal(r.code, 0, 'valid: warnings only')
    t.equal(
      r.stderr,
      [
        'switchyard-proxy: warning: routers[0].client.configs[1].tls.commonName "{service}.example": no prefix captures {service} for it (its own prefix /#/io.l5d.k8s/* fills it), so it stays as written and no certificate will match; capture it in an io.l5d.static prefix (/#/io.l5d.fs/{service})',
        'switchyard-proxy: warning: routers[0].client.configs[2].tls.disableValidation: the certificates of backends are not checked; for tests only',
        "switchyard-proxy: warning: routers[0].interpreter.tls.disableValidation: namerd's certificate is not checked; anyone on the path can pose as namerd and route this proxy's traffic",
        '',
      ].join('\n'),
      'configs[0] captures {service} for itself only; configs[1] is warned about',
    )
  },
)

t.test('an http router logs the same client TLS warnings at start', async (t) => {
  const file = await configFile(t, [
    'routers:',
    '  - interpreter: {kind: local, dtab: "/svc => /$/inet/127.0.0.1/1"}',
    '    servers: [{port: 0}]',
    '    client:',
    '      kind: io.l5d.static',
    '      configs:',
    '        - {prefix: "/#/io.l5d.fs/{service}", tls: {commonName: "{service}"}}',
    '        - {prefix: "/$/inet/*", tls: {commonName: "{service}", disableValidation: true}}',
  ])
  const child = spawn(process.execPath, [MAIN, '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const warnings: string[] = []
  await new Promise<void>((done, fail) => {
    let buffer = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffer += d
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as { level: number; msg: string }
        buffer = buffer.slice(nl + 1)
        if (line.level === 40) warnings.push(line.msg)
        if (line.msg === 'router listening') done()
      }
    })
    child.on('close', (code) => fail(new Error(`exited ${code}`)))
  })
  t.same(warnings, [
    'client.configs[1].tls.disableValidation: the certificates of backends are not checked; for tests only',
    'client.configs[1].tls.commonName "{service}": no prefix captures {service} for it (its own prefix /$/inet/* fills it), so it stays as written and no certificate will match; capture it in an io.l5d.static prefix (/#/io.l5d.fs/{service})',
  ])
})

t.test("--check shows each server's TLS and a TLS namerd as https://", async (t) => {
  const { X509Certificate } = await import('node:crypto')
  const notAfter = (pem: string) => new Date(new X509Certificate(pem).validTo).toISOString()
  const server = `certPath: ${j(certs.server.certPath)}, keyPath: ${j(certs.server.keyPath)}`
  const file = await configFile(t, [
    'routers:',
    '  - label: edge',
    '    protocol: h2',
    '    interpreter:',
    '      kind: io.l5d.namerd.http',
    '      dst: /$/inet/127.0.0.1/4180',
    '      namespace: grpc',
    `      tls: {commonName: localhost, trustCerts: [${j(certs.ca.certPath)}]}`,
    '    servers:',
    '      - {port: 4142}',
    `      - {port: 4143, tls: {${server}, caCertPath: ${j(certs.ca.certPath)}, requireClientAuth: true}}`,
    `      - {port: 4144, clearContext: true, tls: {${server}, caCertPath: ${j(certs.ca.certPath)}}}`,
    `      - {port: 4145, tls: {certPath: ${j(certs.expired.certPath)}, keyPath: ${j(certs.expired.keyPath)}}}`,
  ])
  const r = await run(['--check', '--config', file])
  t.equal(r.code, 0, r.stderr)
  const good = `CN=localhost, not after ${notAfter(certs.server.cert)}`
  t.equal(
    r.stdout.split('\n')[0],
    [
      'router edge: 127.0.0.1:4142',
      ` 127.0.0.1:4143 (tls, mTLS required: ${good})`,
      ` 127.0.0.1:4144 (clearContext; tls, mTLS optional: ${good})`,
      ` 127.0.0.1:4145 (tls: CN=localhost, not after ${notAfter(certs.expired.cert)}, EXPIRED) -> namerd https://127.0.0.1:4180 namespace grpc`,
    ].join(','),
  )
})
