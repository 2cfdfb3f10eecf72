// The DtabStore contract: every backend runs this suite, and a backend is done when it passes.
// Each test opens a fresh, empty store through the backend's harness.
import { Dentry, Dtab } from '@switchyard/dtab'
import t from 'tap'
import {
  CorruptEntryError,
  type DtabEvent,
  type DtabStore,
  InvalidNamespaceError,
  NAMESPACE_RULE,
  NamespaceExistsError,
  NamespaceNotFoundError,
  namespaceRuleOf,
  StoreClosedError,
  StoreUnavailableError,
  VersionMismatchError,
  versionFromIfMatch,
  versionsEqual,
  versionToETag,
} from '../src/index.js'
import { finished, spawnScript } from './child.js'

export interface Harness {
  /** A fresh, empty store. The suite closes it. */
  readonly store: DtabStore
  /** The `openStore` spec of the same backing state, for child processes. */
  readonly spec: string
  /** Opens another instance on the same backing state (a second replica). Absent for memory. */
  readonly reopen?: () => Promise<DtabStore>
  /** Stores garbage as the namespace's entry, as a bad disk or a hand edit would. */
  readonly corrupt?: (namespace: string) => Promise<void>
  /** Whether a process holding this store, with no watch running, exits without close(). */
  readonly exitsWithoutClose: boolean
  /**
   * The namespace rule of a backend narrower than the default (k8s: object names), with
   * names it refuses and accepts beyond the default examples. Absent: the default rule.
   */
  readonly namespaces?: NamespaceExamples
  /** Removes what the harness made (temp dirs, key prefixes). */
  cleanup(): Promise<void>
}

export interface NamespaceExamples {
  /** The rule as the store's errors state it. */
  readonly rule: string
  /** Names refused, besides the default bad ones (which every rule refuses). */
  readonly bad: readonly string[]
  /** Names accepted; replaces the default good ones, some of which the rule refuses. */
  readonly good: readonly string[]
}

/** The default rule's examples: what memory, file and etcd refuse and accept. */
const DEFAULT_BAD = ['', '/', 'a/b', '..', '.', 'a b', 'é', 'a\u0000', 'x'.repeat(254), '../etc']
const DEFAULT_GOOD = ['a', 'A-b_c.d', '9', '...', '.hidden', 'x'.repeat(253)]

export interface HarnessOptions {
  readonly historyLimit?: number
}

// The subtest type (the last overload of t.test takes just the callback).
type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const d = (text: string): Dtab => Dtab.read(text)

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms)
    }),
  ])
}

/** Reads a watch one event at a time, with timeouts, and can tell that nothing arrived. */
export class Reader<T> {
  private pending: Promise<IteratorResult<T>> | null = null
  constructor(readonly iterator: AsyncIterableIterator<T>) {}

  async next(ms = 10_000): Promise<T> {
    this.pending ??= this.iterator.next()
    const r = await withTimeout(this.pending, ms, 'waiting for a watch event')
    this.pending = null
    if (r.done) throw new Error('the watch ended')
    return r.value
  }

  /** True if the watch ended (within ms). */
  async ended(ms = 10_000): Promise<boolean> {
    this.pending ??= this.iterator.next()
    const r = await withTimeout(this.pending, ms, 'waiting for the watch to end')
    this.pending = null
    return r.done === true
  }

  /** True if no event arrives within ms (an event that does arrive is kept for next()). */
  async quiet(ms: number): Promise<boolean> {
    this.pending ??= this.iterator.next()
    const timeout = Symbol('timeout')
    let timer: NodeJS.Timeout | undefined
    const r = await Promise.race([
      this.pending,
      new Promise<typeof timeout>((resolve) => {
        timer = setTimeout(() => resolve(timeout), ms)
      }),
    ])
    clearTimeout(timer)
    return r === timeout
  }

  async close(): Promise<void> {
    await this.iterator.return?.()
  }
}

/** What an event shows, compactly: `dtab <text>`, `absent`, `deleted`, `corrupt`. */
function show(e: DtabEvent): string {
  return e.type === 'dtab' ? `dtab ${Dtab.show(e.dtab)}` : e.type
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms))
}

export function storeContract(
  name: string,
  open: (options?: HarnessOptions) => Promise<Harness>,
): void {
  /** Runs `body` with a fresh harness, closing and cleaning up after. */
  function test(
    title: string,
    body: (t: Test, h: Harness) => Promise<void>,
    options: HarnessOptions = {},
  ) {
    t.test(`${name}: ${title}`, async (t) => {
      const h = await open(options)
      t.teardown(async () => {
        await h.store.close()
        await h.cleanup()
      })
      await body(t, h)
    })
  }

  // --- reading and writing ------------------------------------------------------------------

  test('a new store lists no namespaces and gets null for any', async (t, { store }) => {
    t.same(await store.list(), [])
    t.equal(await store.get('nothing-here'), null)
    t.same(await store.history('nothing-here'), [])
  })

  test('create makes a namespace that get and list return', async (t, { store }) => {
    const version = await store.create('web', d('/svc => /host; /host/world => /srv/world-v1'))
    t.ok(version instanceof Uint8Array && version.length > 0, 'create returns a version')
    const got = await store.get('web')
    t.ok(got)
    t.equal(got?.namespace, 'web')
    t.ok(Dtab.equals(got!.dtab, d('/svc=>/host;/host/world=>/srv/world-v1')))
    t.ok(versionsEqual(got!.version, version), 'get returns the version create returned')
    await store.create('api', Dtab.empty)
    t.same(await store.list(), ['api', 'web'], 'sorted')
  })

  test('create of an existing namespace is refused with namespace_exists and changes nothing', async (t, {
    store,
  }) => {
    const v1 = await store.create('web', d('/a => /b'))
    await t.rejects(store.create('web', d('/c => /d'), { who: 'mallory' }), {
      code: 'namespace_exists',
      status: 409,
      message: /namespace "web" already exists/,
    })
    const got = await store.get('web')
    t.ok(versionsEqual(got!.version, v1))
    t.equal(Dtab.show(got!.dtab), '/a=>/b')
    t.equal((await store.history('web')).length, 1, 'no history entry for the refused write')
  })

  test('put creates or replaces, unconditionally, and every write gets a new version', async (t, {
    store,
  }) => {
    const v1 = await store.put('web', d('/a => /b'))
    const v2 = await store.put('web', d('/a => /c'))
    const v3 = await store.put('web', d('/a => /c'))
    t.notOk(versionsEqual(v1, v2))
    t.notOk(versionsEqual(v2, v3), 'writing the same dtab again is still a new version')
    const got = await store.get('web')
    t.equal(Dtab.show(got!.dtab), '/a=>/c')
    t.ok(versionsEqual(got!.version, v3))
  })

  test('update at the current version replaces the dtab and returns the new version', async (t, {
    store,
  }) => {
    const v1 = await store.create('web', d('/a => /b'))
    const v2 = await store.update('web', d('/a => /c'), v1)
    t.notOk(versionsEqual(v1, v2))
    const got = await store.get('web')
    t.equal(Dtab.show(got!.dtab), '/a=>/c')
    t.ok(versionsEqual(got!.version, v2))
  })

  test('update with a stale version is refused with version_mismatch and changes nothing', async (t, {
    store,
  }) => {
    const v1 = await store.create('web', d('/a => /b'))
    const v2 = await store.update('web', d('/a => /c'), v1)
    const err = await store.update('web', d('/a => /stale'), v1).catch((e: unknown) => e)
    t.ok(err instanceof VersionMismatchError)
    t.match(err, {
      code: 'version_mismatch',
      status: 412,
      message: /namespace "web" changed since/,
    })
    t.ok(
      versionsEqual((err as VersionMismatchError).actual!, v2),
      'the error tells the current version',
    )
    const got = await store.get('web')
    t.equal(Dtab.show(got!.dtab), '/a=>/c')
    t.ok(versionsEqual(got!.version, v2))
    t.equal((await store.history('web')).length, 2)
  })

  test("a garbage If-Match (namerd's 'yolo') is a version mismatch, not a crash", async (t, {
    store,
  }) => {
    await store.create('web', d('/a => /b'))
    for (const header of ['yolo', '', '"', 'AAAA=AAA', 'x']) {
      await t.rejects(
        store.update('web', d('/a => /c'), versionFromIfMatch(header)),
        {
          code: 'version_mismatch',
        },
        `If-Match ${JSON.stringify(header)}`,
      )
    }
    t.equal(Dtab.show((await store.get('web'))!.dtab), '/a=>/b')
  })

  test('the version round-trips as an ETag, also quoted in If-Match', async (t, { store }) => {
    const v1 = await store.create('web', d('/a => /b'))
    const etag = versionToETag(v1)
    t.match(etag, /^[A-Za-z0-9+/]+=*$/, 'standard Base64, unquoted')
    const v2 = await store.update('web', d('/a => /c'), versionFromIfMatch(etag))
    await store.update('web', d('/a => /d'), versionFromIfMatch(`"${versionToETag(v2)}"`))
    t.equal(Dtab.show((await store.get('web'))!.dtab), '/a=>/d')
  })

  test('update of a missing namespace is namespace_not_found, whatever the version', async (t, {
    store,
  }) => {
    const v = await store.create('other', d('/a => /b'))
    await t.rejects(store.update('web', d('/a => /b'), v), {
      code: 'namespace_not_found',
      status: 404,
    })
    await t.rejects(store.update('web', d('/a => /b'), versionFromIfMatch('yolo')), {
      code: 'namespace_not_found',
    })
    t.equal(await store.get('web'), null, 'update does not create')
  })

  test('delete removes a namespace; deleting a missing one is namespace_not_found', async (t, {
    store,
  }) => {
    await store.create('web', d('/a => /b'))
    await store.create('api', d('/a => /b'))
    await store.delete('web')
    t.equal(await store.get('web'), null)
    t.same(await store.list(), ['api'])
    await t.rejects(store.delete('web'), {
      code: 'namespace_not_found',
      message: /namespace "web" does not exist/,
    })
  })

  test('delete with a stale version is refused and changes nothing; with the current one it deletes', async (t, {
    store,
  }) => {
    const v1 = await store.create('web', d('/a => /b'))
    const v2 = await store.update('web', d('/a => /c'), v1)
    await t.rejects(store.delete('web', { version: v1 }), { code: 'version_mismatch' })
    t.ok(versionsEqual((await store.get('web'))!.version, v2))
    await store.delete('web', { version: v2 })
    t.equal(await store.get('web'), null)
    await t.rejects(store.delete('web', { version: v2 }), { code: 'namespace_not_found' })
  })

  test('a namespace deleted and created again never reuses a version', async (t, { store }) => {
    const v1 = await store.create('web', d('/a => /b'))
    await store.delete('web')
    const v3 = await store.create('web', d('/a => /c'))
    t.notOk(versionsEqual(v1, v3))
    await t.rejects(store.update('web', d('/a => /stale'), v1), { code: 'version_mismatch' })
    t.equal(Dtab.show((await store.get('web'))!.dtab), '/a=>/c')
  })

  test('dtabs are stored as Dtab.show text and read back equal', async (t, { store }) => {
    const samples = [
      '',
      '/svc => /host',
      '/svc/world => 1 * /srv/world-v2 & 9 * /srv/world-v1',
      '/svc => /a | /b | ~ | !',
      '/s/* => /x; /x/\\x2f => /y; /y => $',
      '/a => 0.25 * /b & 0.75 * (/c | /d)',
    ]
    for (const [i, text] of samples.entries()) {
      const dtab = d(text)
      await store.put(`ns${i}`, dtab)
      const got = await store.get(`ns${i}`)
      t.ok(Dtab.equals(got!.dtab, dtab), `${JSON.stringify(text)} reads back equal`)
      const [entry] = await store.history(`ns${i}`)
      t.equal(entry?.dtab, Dtab.show(dtab), 'stored as Dtab.show text')
    }
  })

  // --- namespace names and errors ------------------------------------------------------------

  test('namespace names outside the rule are refused on every operation, and the message states the rule', async (t, {
    store,
    namespaces,
  }) => {
    const rule = namespaces?.rule ?? NAMESPACE_RULE
    const bad = [...DEFAULT_BAD, ...(namespaces?.bad ?? [])]
    const good = namespaces?.good ?? DEFAULT_GOOD
    t.equal(namespaceRuleOf(store).text, rule, 'the store says which rule it applies')
    const v = new Uint8Array(8)
    for (const ns of bad) {
      const label = JSON.stringify(ns.length > 20 ? `${ns.slice(0, 10)}...(${ns.length})` : ns)
      const ops: [string, () => Promise<unknown>][] = [
        ['get', () => store.get(ns)],
        ['create', () => store.create(ns, Dtab.empty)],
        ['put', () => store.put(ns, Dtab.empty)],
        ['update', () => store.update(ns, Dtab.empty, v)],
        ['delete', () => store.delete(ns)],
        ['history', () => store.history(ns)],
      ]
      for (const [op, run] of ops) {
        const err = await run().catch((e: unknown) => e)
        t.ok(err instanceof InvalidNamespaceError, `${op} ${label} is refused`)
        t.match(err, { code: 'invalid_namespace', status: 400, rule })
        t.ok((err as Error).message.includes(rule), 'the message states the rule')
      }
      t.throws(() => store.watch(ns), { code: 'invalid_namespace' }, `watch ${label}`)
    }
    t.same(await store.list(), [], 'nothing was written')
    for (const ns of good) await store.put(ns, d('/a => /b'))
    t.same(await store.list(), [...good].sort(), 'names within the rule work')
  })

  test('errors are typed, with the code and HTTP status namerd answers with', async (t) => {
    const v = new Uint8Array([1])
    const cases: [Error & { code: string; status: number }, string, number][] = [
      [new InvalidNamespaceError('a/b'), 'invalid_namespace', 400],
      [new NamespaceNotFoundError('a'), 'namespace_not_found', 404],
      [new NamespaceExistsError('a'), 'namespace_exists', 409],
      [new VersionMismatchError('a', v, null), 'version_mismatch', 412],
      [new CorruptEntryError('a', 'somewhere', 'bad'), 'corrupt_entry', 500],
      [new StoreUnavailableError('down'), 'store_unavailable', 503],
      [new StoreClosedError(), 'store_closed', 503],
    ]
    for (const [err, code, status] of cases) {
      t.equal(err.code, code)
      t.equal(err.status, status, `${code} is HTTP ${status}`)
      t.ok(err.message.length > 0)
    }
  })

  // --- history -------------------------------------------------------------------------------

  test('history lists every change newest first: version, previous version, time, who, text', async (t, {
    store,
  }) => {
    const before = Date.now()
    const v1 = await store.create('web', d('/a => /b'), { who: 'alice' })
    const v2 = await store.update('web', d('/a => /c'), v1, { who: 'bob' })
    const v3 = await store.put('web', d('/a => /d'))
    const after = Date.now()
    const h = await store.history('web')
    t.same(
      h.map((e) => [e.op, e.who, e.dtab]),
      [
        ['put', null, '/a=>/d'],
        ['update', 'bob', '/a=>/c'],
        ['create', 'alice', '/a=>/b'],
      ],
    )
    t.ok(versionsEqual(h[0]!.version, v3) && versionsEqual(h[0]!.previous!, v2))
    t.ok(versionsEqual(h[1]!.version, v2) && versionsEqual(h[1]!.previous!, v1))
    t.ok(versionsEqual(h[2]!.version, v1))
    t.equal(h[2]!.previous, null, 'create replaced nothing')
    for (const e of h) {
      t.ok(
        e.time instanceof Date &&
          e.time.getTime() >= before - 1000 &&
          e.time.getTime() <= after + 1000,
      )
    }
    t.same(
      (await store.history('web', { limit: 2 })).map((e) => e.dtab),
      ['/a=>/d', '/a=>/c'],
    )
  })

  test('history survives a delete and records who deleted', async (t, { store }) => {
    const v1 = await store.create('web', d('/a => /b'))
    await store.delete('web', { who: 'carol' })
    await store.create('web', d('/a => /c'))
    const h = await store.history('web')
    t.same(
      h.map((e) => [e.op, e.dtab]),
      [
        ['create', '/a=>/c'],
        ['delete', null],
        ['create', '/a=>/b'],
      ],
    )
    t.equal(h[1]!.who, 'carol')
    t.ok(versionsEqual(h[1]!.previous!, v1), 'the delete says what it deleted')
  })

  test(
    "history is bounded by the store's limit",
    async (t, { store }) => {
      for (let i = 0; i < 9; i++) await store.put('web', d(`/a => /v${i}`))
      const h = await store.history('web')
      t.same(
        h.map((e) => e.dtab),
        ['/a=>/v8', '/a=>/v7', '/a=>/v6', '/a=>/v5', '/a=>/v4'],
      )
    },
    { historyLimit: 5 },
  )

  // --- concurrency ---------------------------------------------------------------------------

  test('50 concurrent read-modify-write writers lose no update, and history shows each based on the version it read', async (t, {
    store,
  }) => {
    await store.create('shared', d('/base => /b'))
    const writers = Array.from({ length: 50 }, async (_, i) => {
      for (let attempt = 1; ; attempt++) {
        const read = (await store.get('shared'))!
        const dtab = [...read.dtab, Dentry.of(`/w${i}`, `/x${i}`)]
        try {
          const wrote = await store.update('shared', dtab, read.version, { who: `writer-${i}` })
          return { i, read: read.version, wrote, text: Dtab.show(dtab), attempt }
        } catch (err) {
          if (!(err instanceof VersionMismatchError)) throw err
        }
      }
    })
    const results = await Promise.all(writers)
    const final = (await store.get('shared'))!
    t.equal(final.dtab.length, 51, 'the base entry plus one per writer')
    const prefixes = final.dtab.map((e) => Dentry.show(e).split('=>')[0])
    for (let i = 0; i < 50; i++)
      t.equal(prefixes.filter((p) => p === `/w${i}`).length, 1, `writer ${i} is in`)

    const history = await store.history('shared')
    t.equal(history.length, 51)
    for (const r of results) {
      const entry = history.find((e) => versionsEqual(e.version, r.wrote))
      t.ok(entry, `writer ${r.i}'s write is in history`)
      t.ok(entry?.previous && versionsEqual(entry.previous, r.read), `based on the version it read`)
      t.equal(entry?.who, `writer-${r.i}`)
      t.equal(entry?.dtab, r.text)
    }
    for (let k = 0; k + 1 < history.length; k++) {
      t.ok(
        versionsEqual(history[k]!.previous!, history[k + 1]!.version),
        'history is one unbroken chain',
      )
    }
  })

  // --- watching ------------------------------------------------------------------------------

  test('a watch starts with the current state, then sees every change in order and a deletion', async (t, {
    store,
  }) => {
    const v1 = await store.create('web', d('/a => /v0'))
    const w = new Reader(store.watch('web'))
    t.teardown(() => w.close())
    const first = await w.next()
    t.equal(show(first), 'dtab /a=>/v0')
    t.ok(first.type === 'dtab' && versionsEqual(first.version, v1), 'with its version')

    const written: string[] = []
    const versions: Uint8Array[] = []
    for (let i = 1; i <= 12; i++) {
      versions.push(await store.put('web', d(`/a => /v${i}`)))
      written.push(`dtab /a=>/v${i}`)
    }
    await store.delete('web')
    await store.create('web', d('/a => /again'))
    const seen: DtabEvent[] = []
    for (let i = 0; i < 14; i++) seen.push(await w.next())
    t.same(seen.map(show), [...written, 'deleted', 'dtab /a=>/again'])
    for (const [i, v] of versions.entries()) {
      const e = seen[i]!
      t.ok(e.type === 'dtab' && versionsEqual(e.version, v), `event ${i} carries its version`)
    }
    t.ok(await w.quiet(300), 'and nothing more: no state is repeated')
  })

  test('a watch of a missing namespace starts with absent and sees it created', async (t, {
    store,
  }) => {
    const w = new Reader(store.watch('later'))
    t.teardown(() => w.close())
    t.same(await w.next(), { type: 'absent', namespace: 'later' })
    await store.create('later', d('/a => /b'))
    t.equal(show(await w.next()), 'dtab /a=>/b')
    await store.delete('later')
    t.same(await w.next(), { type: 'deleted', namespace: 'later' })
  })

  test('watchList starts with the current set and reports namespaces added and removed', async (t, {
    store,
  }) => {
    await store.create('b', d('/a => /b'))
    await store.create('a', d('/a => /b'))
    const w = new Reader(store.watchList())
    t.teardown(() => w.close())
    t.same(await w.next(), {
      type: 'namespaces',
      namespaces: ['a', 'b'],
      added: ['a', 'b'],
      removed: [],
    })
    await store.create('c', d('/a => /b'))
    t.same(await w.next(), {
      type: 'namespaces',
      namespaces: ['a', 'b', 'c'],
      added: ['c'],
      removed: [],
    })
    await store.put('a', d('/a => /c')) // a change of a dtab is not a change of the set
    await store.delete('b')
    t.same(await w.next(), {
      type: 'namespaces',
      namespaces: ['a', 'c'],
      added: [],
      removed: ['b'],
    })
    t.ok(await w.quiet(300))
  })

  test('a slow consumer gets the latest state, not an unbounded backlog', async (t, { store }) => {
    await store.create('web', d('/a => /v0'))
    const slow = new Reader(store.watch('web', { maxPending: 4 }))
    const fast = new Reader(store.watch('web'))
    t.teardown(async () => {
      await slow.close()
      await fast.close()
    })
    t.equal(show(await slow.next()), 'dtab /a=>/v0')
    t.equal(show(await fast.next()), 'dtab /a=>/v0')
    const writes = 40
    for (let i = 1; i <= writes; i++) await store.put('web', d(`/a => /v${i}`))
    // Once the fast watcher has everything, so has the slow one's queue.
    for (let i = 1; i <= writes; i++) t.equal(show(await fast.next()), `dtab /a=>/v${i}`)
    await sleep(200)
    const seen: number[] = []
    for (;;) {
      const e = await slow.next()
      seen.push(Number(show(e).split('/v')[1]))
      if (seen.at(-1) === writes) break
    }
    t.ok(seen.length <= 4, `at most maxPending states were kept (got ${seen.length})`)
    t.same(
      [...seen].sort((a, b) => a - b),
      seen,
      'in order',
    )
  })

  test('breaking out of a watch loop ends it; closing the store ends the others', async (t, {
    store,
  }) => {
    await store.create('web', d('/a => /b'))
    for await (const e of store.watch('web')) {
      t.equal(e.type, 'dtab')
      break
    }
    const w = new Reader(store.watch('web'))
    const l = new Reader(store.watchList())
    await w.next()
    await l.next()
    await store.close()
    t.ok(await w.ended(), 'the namespace watch ends when the store closes')
    t.ok(await l.ended(), 'the list watch ends when the store closes')
  })

  test('an aborted signal ends a watch', async (t, { store }) => {
    const ac = new AbortController()
    const w = new Reader(store.watch('web', { signal: ac.signal }))
    await w.next()
    ac.abort()
    t.ok(await w.ended())
  })

  test('after close, every operation is refused with store_closed', async (t, { store }) => {
    await store.create('web', d('/a => /b'))
    await store.close()
    await store.close() // idempotent
    const closed = { code: 'store_closed' }
    await t.rejects(store.list(), closed)
    await t.rejects(store.get('web'), closed)
    await t.rejects(store.create('x', Dtab.empty), closed)
    await t.rejects(store.put('web', Dtab.empty), closed)
    await t.rejects(store.update('web', Dtab.empty, new Uint8Array(8)), closed)
    await t.rejects(store.delete('web'), closed)
    await t.rejects(store.history('web'), closed)
    t.throws(() => store.watch('web'), closed)
    t.throws(() => store.watchList(), closed)
  })

  // --- corrupt entries -----------------------------------------------------------------------

  test('a corrupt entry fails that namespace with a clear error, and the rest of the store keeps working', async (t, h) => {
    if (!h.corrupt) return void t.pass('this backend cannot hold a corrupt entry')
    const { store } = h
    await store.create('good', d('/a => /b'))
    await store.create('bad', d('/a => /b'))
    const w = new Reader(store.watch('bad'))
    t.teardown(() => w.close())
    t.equal((await w.next()).type, 'dtab')
    await h.corrupt('bad')

    const err = await store.get('bad').catch((e: unknown) => e)
    t.ok(err instanceof CorruptEntryError, 'get fails with CorruptEntryError')
    t.match(err, {
      code: 'corrupt_entry',
      status: 500,
      namespace: 'bad',
      message: /namespace "bad": the stored dtab at .+ cannot be read/,
    })
    t.same(await store.list(), ['bad', 'good'], 'list still works, and shows it')
    t.equal(Dtab.show((await store.get('good'))!.dtab), '/a=>/b', 'other namespaces still work')
    const e = await w.next()
    t.equal(e.type, 'corrupt', 'a watch reports it and goes on')

    await store.put('bad', d('/a => /fixed'))
    t.equal(Dtab.show((await store.get('bad'))!.dtab), '/a=>/fixed', 'put repairs it')
    t.equal(show(await w.next()), 'dtab /a=>/fixed')
  })

  // --- several instances ---------------------------------------------------------------------

  test('a second instance on the same backing state sees writes, through get and watch', async (t, h) => {
    if (!h.reopen) return void t.pass('this backend has no shared state')
    const other = await h.reopen()
    t.teardown(() => other.close())
    await h.store.create('web', d('/a => /b'))
    const got = await other.get('web')
    t.equal(Dtab.show(got!.dtab), '/a=>/b')
    const w = new Reader(other.watch('web'))
    const l = new Reader(other.watchList())
    t.teardown(async () => {
      await w.close()
      await l.close()
    })
    t.equal(show(await w.next()), 'dtab /a=>/b')
    t.same((await l.next()).namespaces, ['web'])
    const v2 = await h.store.update('web', d('/a => /c'), got!.version)
    const e = await w.next()
    t.equal(show(e), 'dtab /a=>/c')
    t.ok(e.type === 'dtab' && versionsEqual(e.version, v2), 'with the version the writer got')
    await h.store.delete('web')
    t.equal(show(await w.next()), 'deleted')
    t.same((await l.next()).removed, ['web'])
  })

  test('compare-and-swap holds across two instances', async (t, h) => {
    if (!h.reopen) return void t.pass('this backend has no shared state')
    const other = await h.reopen()
    t.teardown(() => other.close())
    await h.store.create('shared', Dtab.empty)
    const writer = (store: DtabStore, id: string) => async () => {
      for (;;) {
        const read = (await store.get('shared'))!
        try {
          return await store.update(
            'shared',
            [...read.dtab, Dentry.of(`/${id}`, '/x')],
            read.version,
          )
        } catch (err) {
          if (!(err instanceof VersionMismatchError)) throw err
        }
      }
    }
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => writer(i % 2 ? other : h.store, `w${i}`)()),
    )
    const final = (await h.store.get('shared'))!
    t.equal(final.dtab.length, 30, 'no update lost')
    t.equal(new Set(final.dtab.map(Dentry.show)).size, 30)
  })

  // --- processes exit ------------------------------------------------------------------------

  const modes = ['break-then-close', 'close-while-waiting', 'break-only'] as const
  for (const mode of modes) {
    test(`a process whose watches end (${mode}) exits on its own`, async (t, h) => {
      if (mode === 'break-only' && !h.exitsWithoutClose) {
        return void t.pass('this backend holds a connection until closed')
      }
      const { code, output } = await finished(spawnScript('./watch-exit-child.ts', [h.spec, mode]))
      t.equal(code, 0, output)
      t.match(output, /watch ended/)
    })
  }
}
