// The etcd store against a real etcd (started here on free loopback ports, stopped at the end),
// including etcd restarts and a watcher cut off from etcd while others write and compact.
import { randomUUID } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { Dtab } from '@switchyard/dtab'
import { Etcd3 } from 'etcd3'
import t from 'tap'
import {
  type DtabEvent,
  type DtabStore,
  openEtcdStore,
  openStore,
  StoreUnavailableError,
  versionFromIfMatch,
  versionsEqual,
  versionToETag,
} from '../src/index.js'
import { Reader, storeContract } from './contract.js'
import { EtcdServer, etcdMissing } from './etcd-server.js'

const missing = etcdMissing()
if (missing) {
  // CI installs etcd-server, so there a missing etcd is a failure; elsewhere the file is skipped.
  if (process.env.CI) throw new Error(missing)
  t.plan(0, missing)
  process.exit(0)
}

const server = await EtcdServer.start()
t.teardown(() => server.destroy())
const raw = new Etcd3({ hosts: [server.url] })
t.teardown(() => raw.close())

const d = (text: string): Dtab => Dtab.read(text)
const show = (e: DtabEvent): string => (e.type === 'dtab' ? `dtab ${Dtab.show(e.dtab)}` : e.type)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A key prefix of its own for each test, so tests share one etcd without seeing each other. */
function testPrefix(): { root: string; prefix: string } {
  const root = `/test-${randomUUID()}/`
  return { root, prefix: `${root}dtabs/` }
}

/** Retries `run` while the store is unavailable (etcd restarting), for up to `ms`. */
async function whenAvailable<T>(run: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await run()
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || Date.now() > deadline) throw err
      await sleep(50)
    }
  }
}

storeContract('etcd', async (options) => {
  const { root, prefix } = testPrefix()
  const open = () => openEtcdStore({ hosts: [server.url], prefix, ...options })
  return {
    store: await open(),
    spec: `etcd:${server.url}${prefix}`,
    reopen: open,
    exitsWithoutClose: false,
    async corrupt(ns) {
      await raw.put(prefix + ns).value('/a =>')
    },
    async cleanup() {
      await raw.delete().prefix(root)
    },
  }
})

t.test(
  "etcd: a version is the key's mod revision in decimal, as namerd's etcd store had it",
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const store = await openStore(`etcd:${server.url}${prefix}`)
    t.teardown(() => store.close())
    const v = await store.create('web', d('/svc => /host'))
    const kv = (await raw.get(`${prefix}web`).exec()).kvs[0]!
    t.equal(new TextDecoder().decode(v), kv.mod_revision)
    t.equal(versionToETag(v), Buffer.from(kv.mod_revision).toString('base64'))
    t.equal(kv.value.toString(), '/svc=>/host', 'the value is the Dtab.show text')
  },
)

t.test(
  'etcd: a dtab written by another program under the prefix is read, listed and watched',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const store = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => store.close())
    await raw.put(`${prefix}legacy`).value('/svc=>/#/io.l5d.fs')
    await raw.put(`${prefix}not/a/namespace`).value('/a=>/b')
    t.same(await store.list(), ['legacy'], 'keys that are not namespace names are ignored')
    const got = (await store.get('legacy'))!
    t.equal(Dtab.show(got.dtab), '/svc=>/#/io.l5d.fs')
    const w = new Reader(store.watch('legacy'))
    t.teardown(() => w.close())
    t.equal(show(await w.next()), 'dtab /svc=>/#/io.l5d.fs')
    await raw.put(`${prefix}legacy`).value('/svc=>/other')
    t.equal(show(await w.next()), 'dtab /svc=>/other')
    await raw.delete().key(`${prefix}legacy`)
    t.equal(show(await w.next()), 'deleted')
  },
)

t.test(
  'etcd: history records live in etcd beside the dtabs, written in the same transaction',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const store = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => store.close())
    const v = await store.create('web', d('/a => /b'), { who: 'alice' })
    const records = await raw.getAll().prefix(`${root}dtabs.history/web/`).exec()
    t.equal(records.kvs.length, 1)
    const record = records.kvs[0]!
    t.equal(record.mod_revision, new TextDecoder().decode(v), 'same revision as the dtab')
    t.match(JSON.parse(record.value.toString()), {
      op: 'create',
      who: 'alice',
      dtab: '/a=>/b',
      previous: null,
    })
  },
)

t.test(
  'etcd: a version that is not a positive decimal never matches, so never writes blindly',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const store = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => store.close())
    await store.create('web', d('/a => /b'))
    for (const text of ['0', '-1', '007', 'abc', '99999999999999999999999']) {
      const version = new TextEncoder().encode(text)
      await t.rejects(
        store.update('web', d('/a => /x'), version),
        { code: 'version_mismatch' },
        text,
      )
      await t.rejects(store.update('absent', d('/a => /x'), version), {
        code: 'namespace_not_found',
      })
    }
    await t.rejects(store.update('web', d('/a => /x'), versionFromIfMatch('MA==')), {
      code: 'version_mismatch',
    })
    t.equal(await store.get('absent'), null, 'no write through revision 0')
  },
)

// --- etcd going away --------------------------------------------------------------------------

t.test(
  'etcd: while etcd is down, operations fail with store_unavailable and change nothing',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const store = await openEtcdStore({ hosts: [server.url], prefix, timeoutMs: 2000 })
    t.teardown(() => store.close())
    const v1 = await store.create('web', d('/a => /b'))
    await server.stop()
    try {
      const down = {
        code: 'store_unavailable',
        status: 503,
        message: new RegExp(`etcd at ${server.url}`),
      }
      await t.rejects(store.get('web'), down)
      await t.rejects(store.update('web', d('/a => /down'), v1), down)
      await t.rejects(store.put('other', d('/a => /down')), down)
      await t.rejects(store.list(), down)
    } finally {
      await server.resume()
    }
    const got = await whenAvailable(() => store.get('web'))
    t.equal(Dtab.show(got!.dtab), '/a=>/b')
    t.ok(versionsEqual(got!.version, v1))
    t.same(await store.list(), ['web'])
    await store.update('web', d('/a => /c'), v1)
    t.equal(Dtab.show((await store.get('web'))!.dtab), '/a=>/c', 'and it works again at once')
  },
)

t.test(
  'etcd: a watch survives an etcd restart and sees the changes written after it, once each, in order',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const watching = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => watching.close())
    await watching.create('web', d('/a => /v1'))
    const w = new Reader(watching.watch('web'))
    const l = new Reader(watching.watchList())
    t.teardown(async () => {
      await w.close()
      await l.close()
    })
    t.equal(show(await w.next()), 'dtab /a=>/v1')
    t.same((await l.next()).namespaces, ['web'])

    await server.stop()
    await sleep(300)
    await server.resume()
    // Written at once by another replica, most likely before the watcher has reconnected.
    const writer = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => writer.close())
    const v2 = await whenAvailable(() => writer.put('web', d('/a => /v2')))
    const v3 = await writer.put('web', d('/a => /v3'))
    await writer.create('api', d('/a => /b'))

    const e2 = await w.next()
    const e3 = await w.next()
    t.equal(show(e2), 'dtab /a=>/v2')
    t.ok(e2.type === 'dtab' && versionsEqual(e2.version, v2))
    t.equal(show(e3), 'dtab /a=>/v3')
    t.ok(e3.type === 'dtab' && versionsEqual(e3.version, v3))
    t.same((await l.next()).added, ['api'])
    t.ok(await w.quiet(500), 'nothing repeated')
    t.ok(await l.quiet(100))
  },
)

t.test(
  'etcd: a watch across an etcd restart with no writes repeats nothing, then goes on',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const store = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => store.close())
    await store.create('web', d('/a => /v1'))
    const w = new Reader(store.watch('web'))
    t.teardown(() => w.close())
    t.equal(show(await w.next()), 'dtab /a=>/v1')
    await server.stop()
    await sleep(300)
    await server.resume()
    t.ok(await w.quiet(2000), 'the reconnect brings no event')
    await whenAvailable(() => store.put('web', d('/a => /v2')))
    t.equal(show(await w.next()), 'dtab /a=>/v2')
  },
)

t.test(
  'etcd: a watch that starts while etcd is down reports the state once etcd is back',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const store = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => store.close())
    await store.create('web', d('/a => /v1'))
    await server.stop()
    const w = new Reader(store.watch('web'))
    t.teardown(() => w.close())
    t.ok(await w.quiet(500), 'nothing to report while etcd is away')
    await server.resume()
    t.equal(show(await w.next()), 'dtab /a=>/v1')
    await whenAvailable(() => store.put('web', d('/a => /v2')))
    t.equal(show(await w.next()), 'dtab /a=>/v2')
  },
)

/** A TCP proxy to etcd that can drop every connection and refuse new ones, then come back. */
class CuttableProxy {
  private sockets = new Set<Socket>()
  private server: Server | null = null
  port = 0
  constructor(private readonly target: number) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1')
      this.sockets.add(client).add(upstream)
      client.pipe(upstream).pipe(client)
      const drop = () => {
        client.destroy()
        upstream.destroy()
        this.sockets.delete(client)
        this.sockets.delete(upstream)
      }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
    })
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve))
    const address = server.address()
    if (address && typeof address === 'object') this.port = address.port
    this.server = server
  }

  async down(): Promise<void> {
    const server = this.server
    this.server = null
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    if (server) await new Promise((resolve) => server.close(resolve))
  }
}

t.test(
  'etcd: a watcher cut off while others write sees every change when it is back, and re-reads after compaction',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const proxy = new CuttableProxy(server.clientPort)
    await proxy.up()
    t.teardown(() => proxy.down())
    const watching = await openEtcdStore({ hosts: [`http://127.0.0.1:${proxy.port}`], prefix })
    t.teardown(() => watching.close())
    const writer: DtabStore = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => writer.close())

    await writer.create('web', d('/a => /v1'))
    const w = new Reader(watching.watch('web'))
    t.teardown(() => w.close())
    t.equal(show(await w.next()), 'dtab /a=>/v1')

    // Cut off: the others write; back: every one of those changes arrives, in order.
    await proxy.down()
    await writer.put('web', d('/a => /v2'))
    await writer.put('web', d('/a => /v3'))
    await proxy.up()
    t.equal(show(await w.next()), 'dtab /a=>/v2')
    t.equal(show(await w.next()), 'dtab /a=>/v3')
    t.ok(await w.quiet(300))

    // Cut off again, and etcd compacts away the revisions the watcher would resume from: it
    // reads the current state afresh instead.
    await proxy.down()
    await writer.put('web', d('/a => /v4'))
    const v5 = await writer.put('web', d('/a => /v5'))
    await raw.kv.compact({ revision: new TextDecoder().decode(v5), physical: true })
    await proxy.up()
    const e = await w.next()
    t.equal(show(e), 'dtab /a=>/v5', 'the current state, as the history between is gone')
    t.ok(await w.quiet(300))
  },
)

// Last, as it wipes the shared etcd.
t.test(
  'etcd: a watch follows etcd even when it comes back empty, with its revisions restarted',
  async (t) => {
    const { root, prefix } = testPrefix()
    t.teardown(() => raw.delete().prefix(root))
    const store = await openEtcdStore({ hosts: [server.url], prefix })
    t.teardown(() => store.close())
    // Move the revision well past what the new cluster will have.
    for (let i = 0; i < 20; i++) await store.put('web', d(`/a => /v${i}`))
    const w = new Reader(store.watch('web'))
    const l = new Reader(store.watchList())
    t.teardown(async () => {
      await w.close()
      await l.close()
    })
    t.equal(show(await w.next()), 'dtab /a=>/v19')
    t.same((await l.next()).namespaces, ['web'])
    await server.wipe()
    t.equal(show(await w.next()), 'deleted', 'the namespace is gone with the data')
    t.same((await l.next()).removed, ['web'])
    await whenAvailable(() => store.create('web', d('/a => /reborn')))
    t.equal(show(await w.next()), 'dtab /a=>/reborn')
    t.same((await l.next()).added, ['web'])
  },
)
