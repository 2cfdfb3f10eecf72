// The k8s store's health beyond the watch loop's: with the history CRD missing (or RBAC
// refusing it) dtab writes work but are not recorded, and health() says `degraded` with what
// to do, logged once; installing the CRD clears it without a write.
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { openOn, startFake } from './k8s-harness.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

function logger() {
  const lines: { level: 'info' | 'warn'; message: string; details: object }[] = []
  return {
    lines,
    info: (details: object, message: string) => lines.push({ level: 'info', message, details }),
    warn: (details: object, message: string) => lines.push({ level: 'warn', message, details }),
  }
}

async function setup(t: Tap) {
  const api = await startFake()
  t.teardown(() => api.close())
  const log = logger()
  const store = await openOn(api, { logger: log, historyRecheckMs: 50 })
  t.teardown(() => store.close())
  return { api, store, log }
}

t.test(
  'without the history CRD: degraded, saying history is not recorded and how to fix it; writes work',
  async (t) => {
    const { api, store, log } = await setup(t)
    api.uninstallCrd('dtabhistories.switchyard.io')
    await until('degraded', () => store.health().state === 'degraded')
    t.match(store.health(), {
      state: 'degraded',
      since: Date,
      problem:
        /^history is not recorded: the CRD dtabhistories\.switchyard\.io is not installed .*: kubectl apply -k deploy\/crd$/,
    })
    await store.create('internal', Dtab.read('/a=>/b'))
    await store.put('internal', Dtab.read('/a=>/c'))
    t.equal(Dtab.show((await store.get('internal'))!.dtab), '/a=>/c', 'the writes happened')
    t.equal(store.health().state, 'degraded')
    const degraded = log.lines.filter((l) => /degraded/.test(l.message))
    t.equal(degraded.length, 1, 'logged once, not per write')

    await api.installCrdsFrom(new URL('../../../deploy/crd', import.meta.url).pathname)
    await until('ok again', () => store.health().state === 'ok')
    t.ok(
      log.lines.some((l) => l.level === 'info' && /history is recorded again/.test(l.message)),
      'the recovery is logged',
    )
  },
)

t.test('history refused by RBAC: degraded, naming the verb and resource', async (t) => {
  const { api, store } = await setup(t)
  api.forbid({ verb: 'get', resource: 'dtabhistories', group: 'switchyard.io' })
  await store.create('internal', Dtab.read('/a=>/b'))
  await until('degraded', () => store.health().state === 'degraded')
  t.match(store.health(), {
    problem: /^history is not recorded: forbidden: cannot get dtabhistories\.switchyard\.io/,
  })
  api.allowAll()
  await until('ok again', () => store.health().state === 'ok')
})

t.test('with every CRD installed the store is ok, not degraded', async (t) => {
  const { api, store } = await setup(t)
  await until('the history looked at', () =>
    api.requests.some((r) => r.path.endsWith('/dtabhistories/switchyard-history-check')),
  )
  await store.create('internal', Dtab.read('/a=>/b'))
  await store.history('internal')
  t.same(store.health(), { state: 'ok' })
})
