// The list-then-watch loop against the fake API server: every change once, in order; re-watch
// from the last resourceVersion after a clean end or a dropped connection (no re-list);
// re-list on 410 with the cache replaced wholesale; backoff and health while the API server is
// away, refuses or lacks the CRD; malformed objects skipped, never fatal.
import { fileURLToPath } from 'node:url'
import { FakeKubeApi } from '@switchyard/kube-fake'
import t from 'tap'
import { z } from 'zod'
import {
  type Change,
  type Kube,
  KubeObject,
  openKube,
  type ReflectHealth,
  type Reflector,
  type ReflectProblem,
  type Resource,
  reflect,
} from '../src/index.js'

const CRD_DIR = fileURLToPath(new URL('../../../deploy/crd', import.meta.url))
const DTABS: Resource = {
  group: 'l5d.io',
  version: 'v1alpha1',
  plural: 'dtabs',
  kind: 'DTab',
  crd: { install: 'kubectl apply -k deploy/crd' },
}
const PATH = '/apis/l5d.io/v1alpha1/namespaces/default/dtabs'

/** A DTab as these tests read it: dentries required. */
const DTab = KubeObject.extend({
  dentries: z.array(z.object({ prefix: z.string(), dst: z.string() })),
})
type DTab = z.infer<typeof DTab>

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

/** The object without its dentries (as a too-narrow CRD, or a hand edit, leaves it). */
function bare(name: string) {
  return { apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', metadata: { name, namespace: 'default' } }
}

function dtab(name: string, dst: string, namespace = 'default') {
  return {
    apiVersion: 'l5d.io/v1alpha1',
    kind: 'DTab',
    metadata: { name, namespace },
    dentries: [{ prefix: '/svc', dst }],
  }
}

async function fake(t: Tap, crds = true): Promise<FakeKubeApi> {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  if (crds) await api.installCrdsFrom(CRD_DIR)
  return api
}

interface Run {
  readonly reflector: Reflector<DTab>
  /** Every change, as `upsert a /x` or `delete a`, with the batch cause. */
  readonly seen: string[]
  readonly batches: { cause: string; changes: readonly Change<DTab>[] }[]
  readonly health: ReflectHealth[]
  readonly problems: ReflectProblem[]
}

function run(t: Tap, api: FakeKubeApi, options: { pageSize?: number } = {}): Run {
  const kube = openKube({ kind: 'url', url: api.url })
  const seen: string[] = []
  const batches: Run['batches'] = []
  const health: ReflectHealth[] = []
  const problems: ReflectProblem[] = []
  const reflector = reflect({
    kube,
    resource: DTABS,
    namespace: 'default',
    schema: DTab,
    backoff: { initialMs: 20, maxMs: 200 },
    pageSize: options.pageSize,
    onChanges(changes, cause) {
      batches.push({ cause, changes })
      for (const c of changes)
        seen.push(
          c.type === 'upsert' ? `upsert ${c.key} ${c.object.dentries[0]?.dst}` : `delete ${c.key}`,
        )
    },
    onHealth: (h) => health.push(h),
    onProblem: (p) => problems.push(p),
  })
  t.teardown(() => reflector.stop())
  return { reflector, seen, batches, health, problems }
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const watches = (api: FakeKubeApi) =>
  api.requests.filter((r) => r.method === 'GET' && r.path === PATH && r.query.watch !== undefined)
const lists = (api: FakeKubeApi) =>
  api.requests.filter((r) => r.method === 'GET' && r.path === PATH && r.query.watch === undefined)

t.test(
  'lists, then watches from the list resourceVersion with bookmarks; every change once, in order',
  async (t) => {
    const api = await fake(t)
    api.put(dtab('a', '/a1'))
    api.put(dtab('b', '/b1'))
    api.put(dtab('x', '/x1', 'elsewhere'))
    const r = run(t, api)
    t.ok(await r.reflector.whenSynced())
    t.same(r.seen, ['upsert a /a1', 'upsert b /b1'], 'the list, as one batch, sorted')
    t.equal(r.batches[0]?.cause, 'list')
    await until('a watch', () => watches(api).length === 1)
    const w = watches(api)[0]!
    t.equal(w.query.resourceVersion, r.reflector.resourceVersion, "from the list's resourceVersion")
    t.equal(w.query.allowWatchBookmarks, 'true')
    const timeout = Number(w.query.timeoutSeconds)
    t.ok(
      Number.isInteger(timeout) && timeout >= 300 && timeout < 600,
      `five to ten minutes, as client-go asks (asked ${w.query.timeoutSeconds})`,
    )

    api.put(dtab('a', '/a2'))
    api.put(dtab('c', '/c1'))
    api.remove({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', namespace: 'default', name: 'b' })
    api.put(dtab('a', '/a3'))
    await until('four changes', () => r.seen.length === 6)
    t.same(r.seen.slice(2), ['upsert a /a2', 'upsert c /c1', 'delete b', 'upsert a /a3'])
    t.same([...r.reflector.objects().keys()].sort(), ['a', 'c'])
    const del = r.batches.find((b) => b.changes[0]?.type === 'delete')!.changes[0]!
    t.ok(
      del.type === 'delete' && del.resourceVersion !== null,
      'a DELETED event gives the deletion RV',
    )
    t.equal(r.reflector.health.state, 'synced')
    t.equal(lists(api).length, 1, 'listed once')
  },
)

t.test(
  'a watch the server ends is resumed from the last resourceVersion, without a list',
  async (t) => {
    const api = await fake(t)
    api.put(dtab('a', '/a1'))
    const r = run(t, api)
    await r.reflector.whenSynced()
    await until('a watch', () => watches(api).length === 1)
    api.put(dtab('a', '/a2'))
    await until('the change', () => r.seen.length === 2)
    const rv = r.reflector.resourceVersion
    api.endWatches()
    await until('a second watch', () => watches(api).length === 2)
    t.equal(watches(api)[1]!.query.resourceVersion, rv, 'from the last event')
    api.put(dtab('a', '/a3'))
    await until('the next change', () => r.seen.length === 3)
    t.same(r.seen, ['upsert a /a1', 'upsert a /a2', 'upsert a /a3'], 'nothing lost, nothing twice')
    t.equal(lists(api).length, 1, 'no re-list')
    t.notOk(
      r.health.some((h) => h.state === 'stale'),
      'a clean end is not a problem',
    )
  },
)

t.test(
  'a quiet watch lasts until the server ends it at its timeoutSeconds: the client does not cut it first',
  async (t) => {
    const api = await fake(t)
    const base = openKube({ kind: 'url', url: api.url })
    const starts: number[] = []
    const kube: Kube = {
      ...base,
      newWatch() {
        const w = base.newWatch()
        // As if client-node's inactivity timer were shorter than the watch's timeoutSeconds
        // (its default is 30 s; the default timeoutSeconds is 300 s or more).
        ;(w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 1000
        const watch = w.watch.bind(w)
        w.watch = (...args) => {
          starts.push(Date.now())
          return watch(...args)
        }
        return w
      },
    }
    const problems: ReflectProblem[] = []
    const reflector = reflect({
      kube,
      resource: DTABS,
      namespace: 'default',
      schema: DTab,
      backoff: { initialMs: 20, maxMs: 200 },
      watchTimeoutSeconds: () => 2,
      onChanges: () => {},
      onProblem: (p) => problems.push(p),
    })
    t.teardown(() => reflector.stop())
    await reflector.whenSynced()
    await until('a second watch', () => starts.length === 2 && watches(api).length === 2)
    t.equal(watches(api)[0]!.query.timeoutSeconds, '2')
    const lasted = starts[1]! - starts[0]!
    t.ok(lasted >= 1900, `the first watch lasted until the server's end at 2 s (${lasted} ms)`)
    t.equal(watches(api)[1]!.query.resourceVersion, watches(api)[0]!.query.resourceVersion)
    t.equal(lists(api).length, 1, 'no re-list')
    t.same(problems, [], 'a clean end')
  },
)

t.test('a BOOKMARK advances the resourceVersion a watch resumes from', async (t) => {
  const api = await fake(t)
  api.put(dtab('a', '/a1'))
  const r = run(t, api)
  await r.reflector.whenSynced()
  await until('a watch', () => watches(api).length === 1)
  const before = r.reflector.resourceVersion
  api.put(dtab('x', '/x1', 'elsewhere')) // newer dtabs RV, not in our namespace
  api.sendBookmarks()
  await until('the bookmark', () => r.reflector.resourceVersion !== before)
  api.endWatches()
  await until('a second watch', () => watches(api).length === 2)
  t.equal(watches(api)[1]!.query.resourceVersion, r.reflector.resourceVersion)
  t.not(r.reflector.resourceVersion, before)
  t.same(r.seen, ['upsert a /a1'], 'a bookmark is no change')
})

t.test('a dropped connection is re-watched at once from the last resourceVersion', async (t) => {
  const api = await fake(t)
  const r = run(t, api)
  await r.reflector.whenSynced()
  await until('a watch', () => watches(api).length === 1)
  api.put(dtab('a', '/a1'))
  await until('the change', () => r.seen.length === 1)
  api.severWatches()
  await until('a second watch', () => watches(api).length === 2)
  api.put(dtab('a', '/a2'))
  await until('the next change', () => r.seen.length === 2)
  t.same(r.seen, ['upsert a /a1', 'upsert a /a2'])
  t.equal(lists(api).length, 1, 'no re-list')
  t.ok(
    r.problems.some((p) => p.kind === 'watch_dropped'),
    'reported, for logs',
  )
})

t.test(
  '410 after the API server was away: re-list, replace wholesale, stale then synced',
  async (t) => {
    const api = await fake(t)
    for (const n of ['keep', 'change', 'gone']) api.put(dtab(n, `/${n}1`))
    const r = run(t, api)
    await r.reflector.whenSynced()
    await until('a watch', () => watches(api).length === 1)
    await api.down()
    await until('stale', () => r.reflector.health.state === 'stale')
    const stale = r.reflector.health
    t.match(stale, {
      state: 'stale',
      error: { code: 'unavailable', message: new RegExp(api.url.replace(/[.:/]/g, '\\$&')) },
    })
    t.same(
      [...r.reflector.objects().keys()].sort(),
      ['change', 'gone', 'keep'],
      'the last known state is kept',
    )
    await new Promise((resolve) => setTimeout(resolve, 300)) // several retries
    t.equal(r.health.filter((h) => h.state === 'stale').length, 1, 'told once, not at each retry')
    // While it is away: changes, then its history is compacted.
    api.put(dtab('change', '/change2'))
    api.remove({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', namespace: 'default', name: 'gone' })
    api.put(dtab('new', '/new1'))
    api.compact()
    const before = r.seen.length
    await api.up()
    await until('synced', () => r.reflector.health.state === 'synced')
    await until('the re-list', () => r.seen.length === before + 3)
    t.same(
      r.seen.slice(before).sort(),
      ['delete gone', 'upsert change /change2', 'upsert new /new1'],
      'unchanged objects are not delivered again',
    )
    t.equal(r.batches.at(-1)?.cause, 'list', 'as one re-list batch')
    t.equal(lists(api).length, 2)
    t.same([...r.reflector.objects().keys()].sort(), ['change', 'keep', 'new'])
    t.ok(
      r.health.findIndex((h) => h.state === 'stale') <
        r.health.findLastIndex((h) => h.state === 'synced'),
    )
  },
)

t.test(
  'a re-watch answered ERROR 410 (its resourceVersion is past the history) re-lists',
  async (t) => {
    const api = await FakeKubeApi.start({ eventHistory: 3 })
    t.teardown(() => api.close())
    await api.installCrdsFrom(CRD_DIR)
    api.put(dtab('a', '/a1'))
    api.put(dtab('b', '/b1'))
    const r = run(t, api)
    await r.reflector.whenSynced()
    await until('a watch', () => watches(api).length === 1)
    // Cut the watch, and before it is back, more changes than the server remembers.
    api.severWatches()
    for (let i = 2; i <= 6; i++) api.put(dtab('a', `/a${i}`))
    await until('the re-list', () => lists(api).length === 2)
    await until('a6', () => r.seen.includes('upsert a /a6'))
    t.same(
      r.seen,
      ['upsert a /a1', 'upsert b /b1', 'upsert a /a6'],
      'the latest state once; b not again',
    )
    api.put(dtab('b', '/b2'))
    await until('b2', () => r.seen.length === 4)
  },
)

t.test('paged lists: every page, one snapshot', async (t) => {
  const api = await fake(t)
  for (let i = 0; i < 7; i++) api.put(dtab(`n${i}`, `/v${i}`))
  const r = run(t, api, { pageSize: 3 })
  await r.reflector.whenSynced()
  t.equal(r.reflector.objects().size, 7)
  t.equal(lists(api).length, 3, 'three pages')
  t.ok(
    lists(api)
      .slice(1)
      .every((l) => l.query.continue),
    'continued',
  )
})

t.test('a missing CRD: starting, saying to install it; listed once it is installed', async (t) => {
  const api = await fake(t, false)
  const r = run(t, api)
  await until('the error', () => r.reflector.health.state === 'starting' && r.health.length > 0)
  t.match(r.reflector.health, {
    state: 'starting',
    error: {
      code: 'crd_missing',
      message: /^the CRD dtabs\.l5d\.io is not installed .*: kubectl apply -k deploy\/crd$/,
    },
  })
  t.notOk(r.reflector.hasSynced)
  await api.installCrdsFrom(CRD_DIR)
  api.put(dtab('a', '/a1'))
  t.ok(await r.reflector.whenSynced())
  // By the list, or by the watch when a retry listed between the install and the put.
  await until('the object', () => r.seen.length > 0)
  t.same(r.seen, ['upsert a /a1'])
})

t.test(
  'a watch RBAC refuses: stale with the verb, resource and namespace; back when allowed',
  async (t) => {
    const api = await fake(t)
    api.forbid({ verb: 'watch', resource: 'dtabs', group: 'l5d.io' })
    const r = run(t, api)
    await r.reflector.whenSynced()
    await until('stale', () => r.reflector.health.state === 'stale')
    t.match(r.reflector.health, {
      state: 'stale',
      error: {
        code: 'forbidden',
        message:
          /^forbidden: cannot watch dtabs\.l5d\.io in namespace default \(RBAC\): grant it in deploy\/base\/rbac\.yaml/,
      },
    })
    api.allowAll()
    await until('synced', () => r.reflector.health.state === 'synced')
    api.put(dtab('a', '/a1'))
    await until('the change', () => r.seen.length === 1)
  },
)

t.test('an object that does not parse is reported and left out; the loop goes on', async (t) => {
  const api = await fake(t)
  api.put(bare('bad'))
  api.put(dtab('good', '/g1'))
  const r = run(t, api)
  await r.reflector.whenSynced()
  t.same(r.seen, ['upsert good /g1'])
  t.match(r.problems, [{ kind: 'invalid_object', key: 'bad' }])
  await until('a watch', () => watches(api).length === 1)
  api.put(dtab('bad', '/fixed'))
  await until('the fix', () => r.seen.length === 2)
  api.put(bare('good'))
  await until('the bad one', () => r.seen.length === 3)
  t.same(
    r.seen.slice(1),
    ['upsert bad /fixed', 'delete good'],
    'an object that stops parsing is no longer known',
  )
  api.put(dtab('next', '/n1'))
  await until('the next', () => r.seen.length === 4)
})

t.test('a handler that throws is reported and does not stop the loop', async (t) => {
  const api = await fake(t)
  const kube = openKube({ kind: 'url', url: api.url })
  const problems: ReflectProblem[] = []
  let calls = 0
  const reflector = reflect({
    kube,
    resource: DTABS,
    namespace: 'default',
    schema: DTab,
    onChanges() {
      calls++
      throw new Error('boom')
    },
    onProblem: (p) => problems.push(p),
  })
  t.teardown(() => reflector.stop())
  await reflector.whenSynced()
  api.put(dtab('a', '/1'))
  api.put(dtab('b', '/1'))
  await until('two calls', () => calls === 2)
  t.equal(reflector.objects().size, 2)
  t.match(problems, [{ kind: 'handler_failed' }, { kind: 'handler_failed' }])
})

t.test(
  'stop() ends the loop and its watch; whenSynced answers false if it never synced',
  async (t) => {
    const api = await fake(t, false)
    const r = run(t, api)
    const synced = r.reflector.whenSynced()
    await r.reflector.stop()
    t.equal(await synced, false)
    t.equal(r.reflector.health.state, 'stopped')
    const api2 = await fake(t)
    const r2 = run(t, api2)
    await r2.reflector.whenSynced()
    await until('a watch', () => api2.openWatches === 1)
    await r2.reflector.stop()
    await until('the watch closed', () => api2.openWatches === 0)
    const count = api2.requests.length
    await new Promise((r) => setTimeout(r, 200))
    t.equal(api2.requests.length, count, 'no request after stop')
  },
)
