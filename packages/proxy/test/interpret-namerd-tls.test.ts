// The proxy's namerd interpreter over TLS (its `tls:`, Linkerd's client keys): trustCerts,
// commonName, clientAuth for a namerd that requires it (mTLS), and every failure said in the
// interpreter's status as what it is (unknown CA, expired, wrong name, no client certificate).
import type { AddressInfo } from 'node:net'
import { Dtab } from '@switchyard/dtab'
import { buildServer, loadTls, serverOptions, tlsSettings } from '@switchyard/namerd'
import { FsNamer } from '@switchyard/namers'
import { openMemoryStore } from '@switchyard/store'
import { pino } from 'pino'
import t from 'tap'
import {
  type CertFiles,
  makeTestCerts,
  type TestCerts,
  WRONG_NAME,
} from '../../../test/support/certs.js'
import { ProxyConfig } from '../src/config/schema.js'
import { createInterpreter } from '../src/interpret/config.js'
import { eventually, tempDir, writeEndpoints } from './interpret-helpers.js'
import { inet, recordingBackend, runProxy, send } from './router-helpers.js'

let certs: TestCerts
t.before(async () => {
  certs = await makeTestCerts()
})
t.teardown(() => certs.close())

const DTAB = '/srv=>/#/io.l5d.fs;/host=>/srv;/svc=>/host'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** namerd over https on 127.0.0.1 with `server`'s certificate, `clientCa` asking for clients'. */
async function tlsNamerd(
  t: Teardown,
  fsDir: string,
  server: CertFiles,
  clientCa?: CertFiles,
): Promise<{ port: number; closeConnections: () => void }> {
  const settings = tlsSettings(
    {
      certPath: server.certPath,
      keyPath: server.keyPath,
      ...(clientCa ? { caCertPath: clientCa.certPath, requireClientAuth: true } : {}),
    },
    '/',
  )
  const store = openMemoryStore()
  await store.create('internal', Dtab.read(DTAB))
  const fs = await FsNamer.open({ rootDir: fsDir, rescanIntervalMs: 50, settleMs: 5 })
  const namerd = await buildServer({
    logger: pino({ level: 'silent' }),
    store,
    namers: [{ prefix: fs.prefix, namer: fs }],
    tls: serverOptions(settings, loadTls(settings)),
  })
  await namerd.app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await namerd.close(50)
    await fs.close()
    await store.close()
  })
  return {
    port: (namerd.app.server.address() as AddressInfo).port,
    closeConnections: () => namerd.app.server.closeAllConnections(),
  }
}

t.test(
  'a proxy routes with the dtab of a namerd it reaches over mTLS (/$/inet dst + tls)',
  async (t) => {
    const dir = await tempDir(t)
    const backend = await recordingBackend(t, 'world')
    await writeEndpoints(dir, 'world', [backend.port])
    const namerd = await tlsNamerd(t, dir, certs.server, certs.ca)
    const config = ProxyConfig.parse({
      admin: { ip: '127.0.0.1', port: 0 },
      routers: [
        {
          label: 'outgoing',
          interpreter: {
            kind: 'io.l5d.namerd.http',
            dst: inet(namerd.port),
            namespace: 'internal',
            retry: { baseSeconds: 0.05, maxSeconds: 0.2 },
            tls: {
              trustCerts: [certs.ca.certPath],
              clientAuth: { certPath: certs.client.certPath, keyPath: certs.client.keyPath },
            },
          },
          servers: [{ ip: '127.0.0.1', port: 0 }],
        },
      ],
    })
    const p = await runProxy(t, config)
    const r = await send(p.port, { headers: { host: 'world' } })
    t.equal(r.status, 200)
    t.equal(r.body, 'world')
    t.equal(p.running.routers[0]!.interpreter.status.connected, true)
  },
)

/** An interpreter on `namerd` with `tls`; closed when the test ends. */
function interpreter(t: Teardown, port: number, tls: Record<string, unknown>) {
  const it = createInterpreter(
    {
      kind: 'io.l5d.namerd.http',
      dst: `http://127.0.0.1:${port}`,
      namespace: 'internal',
      retry: { baseSeconds: 0.05, maxSeconds: 0.2 },
      tls: { disableValidation: false, ...tls },
    },
    { baseDir: '/' },
  )
  t.teardown(() => it.close())
  return it
}

async function lastError(it: ReturnType<typeof createInterpreter>): Promise<string> {
  await eventually(
    'the interpreter reports an error',
    () => it.status.lastError !== undefined,
    5000,
  )
  return it.status.lastError ?? ''
}

t.test("commonName: the name namerd's certificate is checked against", async (t) => {
  const dir = await tempDir(t)
  const namerd = await tlsNamerd(t, dir, certs.wrongName)
  const named = interpreter(t, namerd.port, {
    trustCerts: [certs.ca.certPath],
    commonName: WRONG_NAME,
  })
  await named.ready(5000)
  t.ok(named.dtab, `a certificate for ${WRONG_NAME} is accepted with commonName ${WRONG_NAME}`)

  const unnamed = interpreter(t, namerd.port, { trustCerts: [certs.ca.certPath] })
  t.match(
    await lastError(unnamed),
    `namerd at 127.0.0.1:${namerd.port}: the certificate of 127.0.0.1:${namerd.port} is for ${WRONG_NAME}, not 127.0.0.1`,
  )
  t.equal(unnamed.dtab, undefined)
})

t.test('each TLS failure is said as what it is', async (t) => {
  const dir = await tempDir(t)
  const untrusted = await tlsNamerd(t, dir, certs.untrusted)
  t.match(
    await lastError(interpreter(t, untrusted.port, { trustCerts: [certs.ca.certPath] })),
    `is signed by a CA not trusted (trustCerts: ${certs.ca.certPath})`,
  )

  const expired = await tlsNamerd(t, dir, certs.expired)
  t.match(
    await lastError(interpreter(t, expired.port, { trustCerts: [certs.ca.certPath] })),
    /the certificate of 127\.0\.0\.1:\d+ has expired/,
  )

  const mtls = await tlsNamerd(t, dir, certs.server, certs.ca)
  t.match(
    await lastError(interpreter(t, mtls.port, { trustCerts: [certs.ca.certPath] })),
    /requires a client certificate \(set tls\.clientAuth\)|closed the connection during the TLS handshake/,
  )
  t.match(
    await lastError(
      interpreter(t, mtls.port, {
        trustCerts: [certs.ca.certPath],
        clientAuth: {
          certPath: certs.untrustedClient.certPath,
          keyPath: certs.untrustedClient.keyPath,
        },
      }),
    ),
    // Node's TLS server refuses an untrusted client certificate by closing, without an alert.
    /refused this proxy's client certificate|closed the connection during the TLS handshake|check that tls\.clientAuth's certificate is signed by the CA namerd trusts/,
  )

  const skip = interpreter(t, untrusted.port, { disableValidation: true })
  await skip.ready(5000)
  t.ok(skip.dtab, 'disableValidation: any certificate is accepted')
})

t.test(
  'a trustCerts file that cannot be read is a start error naming the key and the file',
  async (t) => {
    t.throws(
      () =>
        createInterpreter(
          {
            kind: 'io.l5d.namerd.http',
            dst: 'http://127.0.0.1:1',
            tls: { disableValidation: false, trustCerts: ['/nonexistent/ca.crt'] },
          },
          { baseDir: '/' },
        ),
      { message: /interpreter\.tls\.trustCerts\[0\].*\/nonexistent\/ca\.crt/ },
    )
  },
)

t.test('an expired namerd certificate is said once, with its date', async (t) => {
  const dir = await tempDir(t)
  const expired = await tlsNamerd(t, dir, certs.expired)
  const peer = `127.0.0.1:${expired.port}`
  t.equal(
    await lastError(interpreter(t, expired.port, { trustCerts: [certs.ca.certPath] })),
    `namerd at ${peer}: the certificate of ${peer} has expired (not after 2020-01-02T00:00:00.000Z)`,
  )
})

t.test('a rotated trustCerts file is used for the next connection to namerd', async (t) => {
  const { copyFile } = await import('node:fs/promises')
  const { join } = await import('node:path')
  const dir = await tempDir(t)
  const trust = join(dir, 'ca.pem')
  await copyFile(certs.ca.certPath, trust)
  const namerd = await tlsNamerd(t, dir, certs.server)
  const it = interpreter(t, namerd.port, { trustCerts: [trust] })
  await it.ready(5000)
  t.ok(it.dtab, 'the CA in the file signs namerd: connected')
  // The file now holds a CA that does not sign namerd's certificate. Files are checked at most
  // every 2 s; then namerd drops its connections and the watch reconnects with the new trust.
  await copyFile(certs.otherCa.certPath, trust)
  await new Promise((r) => setTimeout(r, 2100))
  namerd.closeConnections()
  await eventually(
    'the reconnect uses the new trustCerts',
    () =>
      (it.status.lastError ?? '').includes(`is signed by a CA not trusted (trustCerts: ${trust})`),
    5000,
  )
  t.pass('the new file was read')
})
