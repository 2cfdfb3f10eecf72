// docs/kubernetes.md, "TLS between the proxies", tells the user how to make the Secret
// switchyard-mesh-tls with openssl. Those commands run here as written (every line of the sh
// block but kubectl's, in an empty folder), and what they make is what the mesh-tls component
// needs: a certificate for switchyard-proxy.switchyard.svc signed by ca.crt, with which two
// proxies' TLS settings (server with a required client certificate, client checking that name)
// complete a handshake in both directions, and without which a client is refused.
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer } from 'node:tls'
import t from 'tap'
import { ROOT } from '../e2e/processes.js'

const NAME = 'switchyard-proxy.switchyard.svc'

/** The commands of the first sh block in the section, continuation lines joined. */
function secretCommands(page: string): string[] {
  const section = page.slice(page.indexOf('## TLS between the proxies'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  if (block === undefined) throw new Error('no sh block in "TLS between the proxies"')
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

t.test('the openssl commands of docs/kubernetes.md make a working mesh Secret', async (t) => {
  const commands = secretCommands(readFileSync(join(ROOT, 'docs/kubernetes.md'), 'utf8'))
  t.ok(
    commands.some((c) =>
      c.startsWith('kubectl -n switchyard create secret generic switchyard-mesh-tls'),
    ),
    'the block ends by creating the Secret the component mounts',
  )
  const dir = mkdtempSync(join(tmpdir(), 'mesh-secret-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const c of commands.filter((c) => !c.startsWith('kubectl '))) {
    execFileSync('bash', ['-euc', c], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  }
  const file = (f: string) => readFileSync(join(dir, f))
  const cert = new X509Certificate(file('tls.crt'))
  t.equal(cert.checkHost(NAME), NAME, `tls.crt is for ${NAME}`)
  t.ok(cert.verify(new X509Certificate(file('ca.crt')).publicKey), 'signed by ca.crt')
  t.match(
    cert.keyUsage ?? [],
    ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
    'serverAuth and clientAuth',
  )

  // The incoming router's settings (requireClientAuth with ca.crt) and the outgoing router's
  // (trust ca.crt, check NAME, show tls.crt), on node's TLS as the proxy uses it.
  const server = createServer(
    {
      cert: file('tls.crt'),
      key: file('tls.key'),
      ca: file('ca.crt'),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => socket.end(socket.authorized ? 'peer verified' : 'peer not verified'),
  )
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as AddressInfo).port
  const talk = (withCert: boolean) =>
    new Promise<string>((done) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: NAME,
        ca: file('ca.crt'),
        ...(withCert ? { cert: file('tls.crt'), key: file('tls.key') } : {}),
      })
      let got = ''
      socket.on('data', (d: Buffer) => {
        got += d.toString()
      })
      socket.on('end', () => done(got))
      socket.on('error', (err: Error & { code?: string }) => done(err.code ?? err.message))
    })
  t.equal(await talk(true), 'peer verified', 'proxy to proxy: both sides verified')
  t.equal(
    await talk(false),
    'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    'a client without the certificate is refused',
  )
})
