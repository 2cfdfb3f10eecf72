// namerd's API over TLS: served with the configured certificate, client certificates asked
// for or required (mTLS), the files re-read when they change, bad files refused at start
// naming the key and the file, and a watch over TLS living past the head timeout.
import { copyFile, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import type { PeerCertificate, TLSSocket } from 'node:tls'
import { pino } from 'pino'
import t from 'tap'
import { makeTestCerts, type TestCerts, WRONG_NAME } from '../../../test/support/certs.js'
import { resolveSettings } from '../src/config.js'
import { startNamerd } from '../src/daemon.js'
import { eventually, LineReader, runNamerd, startProcess, tempDir } from './helpers.js'

let certs: TestCerts
t.before(async () => {
  certs = await makeTestCerts()
})
t.teardown(() => certs.close())

interface Answer {
  readonly status: number
  readonly body: string
  readonly peer: PeerCertificate
}

interface ClientOptions {
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
  readonly method?: string
  readonly body?: string
}

/** One https request on a fresh connection (no agent), with the server's certificate. */
function get(url: string, options: ClientOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent: false,
        method: options.method ?? 'GET',
        ca: options.ca ?? certs.ca.cert,
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
        headers: options.body ? { 'content-type': 'application/dtab' } : {},
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate()
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          body += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

async function configFile(dir: string, tls: Record<string, unknown>, extra = ''): Promise<string> {
  const file = join(dir, 'namerd.yaml')
  await writeFile(
    file,
    `listen: 127.0.0.1:0\nstore: memory\nrollouts: {enabled: false}\ntls: ${JSON.stringify(tls)}\n${extra}`,
  )
  return file
}

t.test('namerd serves its API over https with the configured certificate', async (t) => {
  const dir = await tempDir(t)
  const config = await configFile(dir, {
    certPath: certs.server.certPath,
    keyPath: certs.server.keyPath,
  })
  const namerd = await startProcess(t, ['--config', config])
  const base = namerd.base.replace(/^http:/, 'https:')
  const created = await get(`${base}/api/1/dtabs/default`, {
    method: 'POST',
    body: '/svc => /#/io.l5d.fs',
  })
  t.equal(created.status, 204)
  const list = await get(`${base}/api/1/dtabs`)
  t.equal(list.status, 200)
  t.same(JSON.parse(list.body), ['default'])
  t.match(list.peer.subjectaltname, /IP Address:127\.0\.0\.1/)
  const started = namerd.output.find((l) => l.includes('"namerd listening"')) ?? ''
  t.match(started, /"tls":\{"certificate":"[^"]+","clientAuth":"off"\}/, 'the start log says tls')
  // A client that does not trust the CA is refused by its own TLS, as it should be.
  await t.rejects(get(`${base}/api/1/dtabs`, { ca: certs.otherCa.cert }), {
    code: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
  })
  // Plain HTTP to the TLS port gets no API answer.
  const plain = await fetch(`${namerd.base}/api/1/dtabs`).then(
    (r) => r.status,
    () => 'refused',
  )
  t.not(plain, 200, 'plain http is not served on the TLS port')
})

t.test(
  'requireClientAuth: only clients with a certificate the CA signed get in (mTLS)',
  async (t) => {
    const dir = await tempDir(t)
    const config = await configFile(dir, {
      certPath: certs.server.certPath,
      keyPath: certs.server.keyPath,
      caCertPath: certs.ca.certPath,
      requireClientAuth: true,
    })
    const namerd = await startProcess(t, ['--config', config])
    const url = `${namerd.base.replace(/^http:/, 'https:')}/api/1/dtabs`
    const ok = await get(url, { cert: certs.client.cert, key: certs.client.key })
    t.equal(ok.status, 200, 'a client certificate signed by caCertPath is accepted')
    await t.rejects(get(url), 'no client certificate: refused')
    await t.rejects(
      get(url, { cert: certs.untrustedClient.cert, key: certs.untrustedClient.key }),
      'a client certificate from another CA: refused',
    )
    t.match(namerd.output.join('\n'), /"clientAuth":"required"/)
  },
)

t.test(
  'the certificate is re-read when its files change; a bad change keeps the old one',
  async (t) => {
    const dir = await tempDir(t)
    const certPath = join(dir, 'tls.crt')
    const keyPath = join(dir, 'tls.key')
    await copyFile(certs.server.certPath, certPath)
    await copyFile(certs.server.keyPath, keyPath)
    const config = await configFile(dir, { certPath: 'tls.crt', keyPath: 'tls.key' })
    const settings = await resolveSettings({ config }, {})
    const namerd = await startNamerd(
      { ...settings, tlsReloadPollMs: 50 },
      pino({ level: 'silent' }),
      null,
    )
    t.teardown(() => namerd.stop(200))
    const url = `https://${namerd.address}/api/1/dtabs`
    const first = await get(url)
    t.match(first.peer.subjectaltname, /DNS:localhost/)

    // A half-written change (a key that does not match the certificate) is not taken up.
    await copyFile(certs.wrongName.certPath, certPath)
    await new Promise((r) => setTimeout(r, 400))
    const during = await get(url)
    t.match(during.peer.subjectaltname, /DNS:localhost/, 'the old certificate still serves')

    // Once the key follows, the new certificate serves new connections.
    await copyFile(certs.wrongName.keyPath, keyPath)
    await eventually(
      'the new certificate serves',
      async () => {
        const a = await get(url, { ca: certs.ca.cert }).catch(() => null)
        // The wrong-name certificate fails node's name check: look at what was offered instead.
        return a === null && (await offered(url)).includes(WRONG_NAME)
      },
      5000,
    )
    t.pass('a renewed certificate serves without a restart')
  },
)

/** The subjectAltName the server offers, without checking it. */
function offered(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, rejectUnauthorized: false }, (res) => {
      resolve((res.socket as TLSSocket).getPeerCertificate().subjectaltname ?? '')
      res.resume()
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('bad tls files are a configuration error naming the key and the file', async (t) => {
  const dir = await tempDir(t)
  const missing = join(dir, 'nope.crt')
  const noFile = await configFile(dir, { certPath: missing, keyPath: certs.server.keyPath })
  const r1 = await runNamerd(['--config', noFile])
  t.equal(r1.code, 2)
  t.match(r1.stderr, `tls.certPath: ${missing}: cannot read it (no such file)`)

  const mismatch = await configFile(dir, {
    certPath: certs.server.certPath,
    keyPath: certs.client.keyPath,
  })
  const r2 = await runNamerd(['--config', mismatch, '--check'])
  t.equal(r2.code, 2)
  t.match(r2.stderr, `tls.keyPath: ${certs.client.keyPath}: the key does not match the certificate`)

  const notPem = join(dir, 'junk.crt')
  await writeFile(notPem, 'hello')
  const junk = await configFile(dir, { certPath: notPem, keyPath: certs.server.keyPath })
  const r3 = await runNamerd(['--config', junk])
  t.equal(r3.code, 2)
  t.match(r3.stderr, `tls.certPath: ${notPem}: not a PEM certificate`)

  const noCa = await configFile(dir, {
    certPath: certs.server.certPath,
    keyPath: certs.server.keyPath,
    requireClientAuth: true,
  })
  const r4 = await runNamerd(['--config', noCa])
  t.equal(r4.code, 2)
  t.match(r4.stderr, 'requireClientAuth needs caCertPath')

  const ok = await configFile(dir, {
    certPath: certs.expired.certPath,
    keyPath: certs.expired.keyPath,
  })
  const r5 = await runNamerd(['--config', ok, '--check'])
  t.equal(r5.code, 0, 'an expired certificate is not a start error')
  t.match(r5.stdout, /listen: https:\/\/127\.0\.0\.1:0\n {2}store: memory\n {2}tls: /)
})

t.test(
  'an encrypted key is named as the proxy names it; --check marks an expired certificate',
  async (t) => {
    const { execFile } = await import('node:child_process')
    const { promisify } = await import('node:util')
    const dir = await tempDir(t)
    const encrypted = join(dir, 'enc.key')
    await promisify(execFile)('openssl', [
      'pkey',
      '-in',
      certs.server.keyPath,
      '-aes256',
      '-passout',
      'pass:secret',
      '-out',
      encrypted,
    ])
    const enc = await configFile(dir, { certPath: certs.server.certPath, keyPath: encrypted })
    const r1 = await runNamerd(['--config', enc, '--check'])
    t.equal(r1.code, 2)
    t.match(r1.stderr, `tls.keyPath: ${encrypted} is an encrypted key; give an unencrypted one\n`)

    const expired = await configFile(dir, {
      certPath: certs.expired.certPath,
      keyPath: certs.expired.keyPath,
    })
    const r2 = await runNamerd(['--config', expired, '--check'])
    t.equal(r2.code, 0, 'still not a start error')
    t.match(
      r2.stdout,
      `  tls: ${certs.expired.certPath} (CN=localhost, not after 2020-01-02T00:00:00.000Z) (EXPIRED)\n`,
    )
    const good = await configFile(dir, {
      certPath: certs.server.certPath,
      keyPath: certs.server.keyPath,
    })
    const r3 = await runNamerd(['--config', good, '--check'])
    t.equal(r3.code, 0)
    t.notMatch(r3.stdout, 'EXPIRED')
  },
)

t.test(
  'a watch over TLS outlives the head timeout (connections counted after the handshake)',
  async (t) => {
    const dir = await tempDir(t)
    const config = await configFile(
      dir,
      { certPath: certs.server.certPath, keyPath: certs.server.keyPath },
      'limits: {headersTimeoutMs: 200, keepAliveTimeoutMs: 200}\n',
    )
    const settings = await resolveSettings({ config }, {})
    const namerd = await startNamerd(settings, pino({ level: 'silent' }), null)
    t.teardown(() => namerd.stop(200))
    const base = `https://${namerd.address}`
    t.equal((await get(`${base}/api/1/dtabs/w`, { method: 'POST', body: '/a => /b' })).status, 204)
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(
        `${base}/api/1/dtabs/w?watch=1`,
        { agent: false, ca: certs.ca.cert },
        resolve,
      )
      req.on('error', reject)
      req.end()
    })
    t.teardown(() => res.destroy())
    const lines = new LineReader(
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            res.on('data', (c: Buffer) => controller.enqueue(new Uint8Array(c)))
            res.on('end', () => controller.close())
            res.on('error', (e) => controller.error(e))
          },
        }),
      ),
    )
    t.match(await lines.next(), /"\/a"/)
    await new Promise((r) => setTimeout(r, 900))
    const put = await get(`${base}/api/1/dtabs/w`, { method: 'PUT', body: '/a => /c' })
    t.equal(put.status, 204)
    t.match(await lines.next(), /"\/c"/, 'the watch still streams after 900 ms (head timeout 200)')
  },
)

t.test(
  'handshakes that never come are held to the connection limit and the head deadline',
  async (t) => {
    const dir = await tempDir(t)
    const config = await configFile(
      dir,
      { certPath: certs.server.certPath, keyPath: certs.server.keyPath },
      'limits: {maxConnections: 16, reservedConnections: 4, headersTimeoutMs: 400}\n',
    )
    const settings = await resolveSettings({ config }, {})
    const namerd = await startNamerd(settings, pino({ level: 'silent' }), null)
    t.teardown(() => namerd.stop(200))
    const port = Number(namerd.address.slice(namerd.address.lastIndexOf(':') + 1))
    // 40 TCP connections that never send a ClientHello.
    const sockets = await Promise.all(
      Array.from(
        { length: 40 },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect(port, '127.0.0.1', () => resolve(s))
            s.on('error', () => {})
            s.once('error', reject)
          }),
      ),
    )
    t.teardown(() => {
      for (const s of sockets) s.destroy()
    })
    const closed = () => sockets.filter((s) => s.closed || s.readableEnded).length
    await eventually('all but maxConnections are shed at once', () => closed() >= 40 - 16, 300)
    t.ok(closed() < 40, 'the last 16 wait for their deadline')
    // A probe still gets in: it sheds the stalled connection idle longest.
    const ready = await get(`https://${namerd.address}/ready`)
    t.equal(ready.status, 200)
    await eventually(
      'every stalled handshake is closed by the head deadline',
      () => closed() === 40,
      3000,
    )
  },
)

t.test(
  'plain HTTP or garbage on the TLS port closes that connection; namerd goes on',
  async (t) => {
    const dir = await tempDir(t)
    const config = await configFile(dir, {
      certPath: certs.server.certPath,
      keyPath: certs.server.keyPath,
    })
    const settings = await resolveSettings({ config }, {})
    const namerd = await startNamerd(settings, pino({ level: 'silent' }), null)
    t.teardown(() => namerd.stop(200))
    const port = Number(namerd.address.slice(namerd.address.lastIndexOf(':') + 1))
    for (const bytes of [
      'GET /api/1/dtabs HTTP/1.1\r\nhost: x\r\n\r\n',
      '\x16\x03\x01\xff\xff garbage',
    ]) {
      const s = connect(port, '127.0.0.1')
      s.on('error', () => {})
      s.write(bytes)
      s.resume()
      await new Promise((r) => s.once('close', r))
    }
    t.equal((await get(`https://${namerd.address}/api/1/dtabs`)).status, 200)
  },
)
