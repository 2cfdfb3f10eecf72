import { Dtab, Path } from '@switchyard/dtab'
import type { Addr } from '@switchyard/namers'
import { type Logger, pino } from 'pino'
import t from 'tap'
import { NamerdInterpreter } from '../src/interpret/index.js'
import { Routes } from '../src/route/index.js'
import { deadPort } from './forward-helpers.js'
import {
  eventually,
  memoryStore,
  putDtab,
  startNamerd,
  tempDir,
  writeEndpoints,
} from './interpret-helpers.js'

const RETRY = { baseSeconds: 0.05, maxSeconds: 0.2 }
const BASE = '/srv=>/#/io.l5d.fs;/svc=>/srv'

function open(
  t: { teardown(fn: () => unknown): void },
  dst: string,
  namespace = 'default',
  logger?: Logger,
): NamerdInterpreter {
  const i = new NamerdInterpreter({
    dst,
    namespace,
    retry: RETRY,
    watcherId: 'proxy-under-test',
    ...(logger && { logger }),
  })
  t.teardown(() => i.close())
  return i
}

/** A logger whose messages are kept, to check what an operator would read. */
function recordingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = []
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => messages.push(String(JSON.parse(line).msg)) },
  )
  return { logger, messages }
}

const ports = (a: Addr) => (a.type === 'bound' ? a.addrs.map((e) => e.port).sort() : a.type)

t.test('the namerd interpreter gets the dtab, follows a PUT and names itself', async (t) => {
  const dir = await tempDir(t)
  const namerd = await startNamerd(t, memoryStore(t), dir)
  const v1 = await putDtab(namerd.base, 'default', BASE)
  const i = open(t, namerd.base)
  await i.ready(5000)
  t.equal(Dtab.show(i.dtab!), BASE)
  t.equal(i.status.kind, 'namerd')
  t.equal(i.status.connected, true)
  t.equal(i.status.namespace, 'default')
  await eventually('the version is known', () => i.status.version === v1)
  t.type(i.status.updatedAt, 'number')

  let changes = 0
  i.onChange(() => changes++)
  const v2 = await putDtab(namerd.base, 'default', `${BASE};/svc/world=>/srv/world-v2`)
  await eventually('the new dtab arrives', () => changes === 1)
  t.equal(Dtab.show(i.dtab!), `${BASE};/svc/world=>/srv/world-v2`)
  await eventually('the new version is known', () => i.status.version === v2)

  const res = await fetch(`${namerd.base}/api/1/dtabs/default/watchers`)
  const body = (await res.json()) as {
    watchers: { id: string | null; kind: string; version: string }[]
  }
  const mine = body.watchers.find((w) => w.id === 'proxy-under-test')
  t.ok(mine, 'namerd lists the proxy by its watcher id')
  t.equal(mine?.kind, 'dtab')
  t.equal(mine?.version, v2, 'with the version it holds')
})

t.test(
  'a concrete name is watched once on namerd and shared; overrides cost nothing more',
  async (t) => {
    const dir = await tempDir(t)
    await writeEndpoints(dir, 'world-v1', [8001, 8002])
    await writeEndpoints(dir, 'world-v2', [9001])
    const namerd = await startNamerd(t, memoryStore(t), dir)
    await putDtab(namerd.base, 'default', BASE)
    const i = open(t, namerd.base)
    await i.ready(5000)
    const routes = new Routes(i)
    t.teardown(() => routes.close())

    const route = routes.resolve(Path.read('/svc/world-v1'), Dtab.empty)
    if (route.type !== 'route') throw new Error('no dtab')
    t.equal(route.pick(), undefined, 'the first request finds the name pending')
    t.equal(route.reason(), 'pending')
    await route.settled(5000)
    const leaf = route.pick()
    t.equal(leaf?.idText, '/#/io.l5d.fs/world-v1')
    t.same(leaf && ports(leaf.addr.sample()), [8001, 8002])
    t.same(leaf?.residual, [], 'a /#/ id is bound whole; the residual is empty')

    const addrWatches = () => namerd.requests.filter((u) => u.startsWith('/api/1/addr/')).length
    t.equal(addrWatches(), 1)
    t.equal(i.addrWatches.open, 1)

    // Another route, through an override, to the same concrete name: no new namerd request.
    const before = namerd.requests.length
    const other = routes.resolve(Path.read('/svc/world'), Dtab.read('/svc/world=>/srv/world-v1'))
    if (other.type !== 'route') throw new Error('no dtab')
    t.equal(other.pick()?.idText, '/#/io.l5d.fs/world-v1', 'routed at once from the shared watch')
    t.equal(namerd.requests.length, before, 'no namerd request for the override')
    t.equal(i.addrWatches.opened, 1, 'still one addr watch')

    // Endpoint changes on namerd's side reach the route.
    await writeEndpoints(dir, 'world-v1', [8001, 8002, 8003])
    await eventually('the new endpoint arrives', () => {
      const a = route.pick()?.addr.sample()
      return a !== undefined && ports(a).length === 3
    })

    // Once no route holds the name, its watch closes.
    routes.invalidate()
    await eventually('the addr watch closed', () => i.addrWatches.open === 0)
  },
)

t.test(
  'namerd gone: routing goes on with the last dtab and addrs; a restart is picked up',
  async (t) => {
    const dir = await tempDir(t)
    await writeEndpoints(dir, 'world', [8001])
    const store = memoryStore(t)
    const first = await startNamerd(t, store, dir)
    await putDtab(first.base, 'default', BASE)
    const log = recordingLogger()
    const i = open(t, first.base, 'default', log.logger)
    await i.ready(5000)
    const routes = new Routes(i)
    t.teardown(() => routes.close())
    const route = routes.resolve(Path.read('/svc/world'), Dtab.empty)
    if (route.type !== 'route') throw new Error('no dtab')
    await route.settled(5000)
    t.equal(route.pick()?.idText, '/#/io.l5d.fs/world')

    await first.stop()
    await eventually(
      'the interpreter notices',
      () => !i.status.connected && i.status.lastError !== undefined,
    )
    t.equal(Dtab.show(i.dtab!), BASE, 'the last good dtab stays')
    t.equal(route.pick()?.idText, '/#/io.l5d.fs/world', 'and so do the last addrs')
    await new Promise((r) => setTimeout(r, 300)) // a few failed reconnects
    t.equal(route.pick()?.idText, '/#/io.l5d.fs/world')

    const second = await startNamerd(t, store, dir, first.port)
    await eventually('reconnected', () => i.status.connected, 5000)
    await putDtab(second.base, 'default', `${BASE};/svc/world=>/srv/world-v9`)
    await eventually('the change after the restart arrives', () =>
      Dtab.show(i.dtab!).endsWith('/svc/world=>/srv/world-v9'),
    )
    t.equal(i.status.lastError, undefined)
    t.ok(log.messages.includes('namerd dtab watch failed; routing on the last good dtab'))
    t.ok(log.messages.includes('namerd dtab watch reconnected'), 'the recovery is logged too')
  },
)

t.test('namerd unreachable before any dtab: the log says requests get 503 for now', async (t) => {
  const log = recordingLogger()
  const i = open(t, `http://127.0.0.1:${await deadPort()}`, 'default', log.logger)
  await eventually('a failed watch', () => i.status.lastError !== undefined)
  t.equal(i.dtab, undefined)
  t.ok(
    log.messages.includes(
      'namerd dtab watch failed; no dtab yet, so requests are answered 503 until it has one',
    ),
    log.messages.join('\n'),
  )
})

t.test(
  'a namespace namerd does not have: no dtab, a clear status, and it appears when created',
  async (t) => {
    const dir = await tempDir(t)
    const namerd = await startNamerd(t, memoryStore(t), dir)
    const i = open(t, namerd.base, 'later')
    await eventually('the status says why', () => i.status.lastError !== undefined)
    t.equal(i.dtab, undefined)
    t.match(i.status.lastError, /namespace "later" not found/)
    const routes = new Routes(i)
    t.same(routes.resolve(Path.read('/svc/x'), Dtab.empty), { type: 'no-dtab' })
    await putDtab(namerd.base, 'later', BASE)
    await i.ready(5000)
    t.equal(Dtab.show(i.dtab!), BASE)
    t.equal(i.status.lastError, undefined)
  },
)

t.test(
  'a missing namespace is logged at warn once per change: what, where, and what to do',
  async (t) => {
    const lines: { level: number; msg: string; namespace?: string; namerd?: string }[] = []
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) })
    const dir = await tempDir(t)
    const store = memoryStore(t)
    const first = await startNamerd(t, store, dir)
    const i = open(t, first.base, 'later', logger)
    await eventually('the status says why', () => i.status.lastError !== undefined)
    const missing = () => lines.filter((l) => l.level === 40 && /^namespace "later"/.test(l.msg))
    await eventually('it is logged', () => missing().length > 0)
    t.equal(missing().length, 1)
    t.same(
      { namespace: missing()[0]!.namespace, namerd: missing()[0]!.namerd },
      { namespace: 'later', namerd: first.base },
    )
    t.equal(
      missing()[0]!.msg,
      `namespace "later" not found at namerd ${first.base}; no dtab, so requests are answered 503 and /admin/ready is 503 until it exists: create it (namerctl --base-url ${first.base} dtab create later <file>) or check the router's interpreter.namespace`,
    )

    // namerd restarts: the watch reconnects and finds it still missing; nothing new to say.
    const MISSING = 'namespace "later" not found at namerd'
    t.equal(i.status.lastError, MISSING)
    await first.stop()
    await eventually('a reconnect fails', () => i.status.lastError !== MISSING)
    const second = await startNamerd(t, store, dir, first.port)
    await eventually('reconnected and probed', () => i.status.lastError === MISSING)
    t.equal(missing().length, 1, 'not logged again')

    // It appears, then is deleted (seen when the watch reconnects): a new state, logged.
    await putDtab(second.base, 'later', BASE)
    await i.ready(5000)
    const deleted = await fetch(`${second.base}/api/1/dtabs/later`, { method: 'DELETE' })
    t.equal(deleted.status, 204)
    await second.stop()
    await eventually('a reconnect fails', () => i.status.lastError !== undefined)
    await startNamerd(t, store, dir, first.port)
    await eventually('the deletion is seen', () => /was deleted/.test(i.status.lastError ?? ''))
    t.equal(missing().length, 2)
    t.match(
      missing()[1]!.msg,
      /^namespace "later" was deleted at namerd http:\/\/127\.0\.0\.1:\d+; routing on the last dtab until it is back: create it/,
    )
  },
)

t.test('namerd unreachable from the start: retries with backoff and says so', async (t) => {
  const i = open(t, 'http://127.0.0.1:1')
  await eventually('an error is reported', () => i.status.lastError !== undefined)
  t.equal(i.status.connected, false)
  t.equal(i.dtab, undefined)
  await i.ready(50)
  t.equal(i.dtab, undefined, 'ready gives up after its timeout')
})
