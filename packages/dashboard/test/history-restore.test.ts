// The history view's requests against a real namerd (in this process, on loopback): what a
// rollback plans is what namerd accepts, a rollback planned from a history that has moved on
// is refused and writes nothing, and a deleted namespace comes back without If-Match.
import t from 'tap'
import { startServer } from '../../namerd/test/helpers.js'
import { Api } from '../src/api/client.js'
import { ApiError } from '../src/api/errors.js'
import { readHistory, restore } from '../src/history/api.js'
import { planRollback, rollbackWhy } from '../src/history/model.js'

async function namerd(t: Parameters<typeof startServer>[0]) {
  const { base } = await startServer(t)
  const api = new Api({ base, token: () => null })
  const write = async (ns: string, text: string) => {
    const { version } = await api.dtab(ns).catch(() => ({ version: null }))
    if (version === null)
      await api.send(`/api/1/dtabs/${ns}`, {
        method: 'POST',
        body: text,
        contentType: 'application/dtab',
      })
    else
      await api.send(`/api/1/dtabs/${ns}`, {
        method: 'PUT',
        body: text,
        contentType: 'application/dtab',
        headers: { 'if-match': version },
      })
  }
  return { api, write }
}

const signal = () => new AbortController().signal

t.test(
  'a rollback planned from the history brings the old dtab back as a new version',
  async (t) => {
    const { api, write } = await namerd(t)
    await write('web', '/svc=>/srv/world-v1')
    await write('web', '/svc=>/srv/world-v2')
    const history = await readHistory(api, 'web', signal())
    t.equal(history.length, 2)
    const check = planRollback(history, history[1]!.version)
    if (!check.ok) throw new Error(check.why)
    const why = rollbackWhy('v1', 'v2 answers 503 — ticket № 7')
    const version = await restore(api, 'web', check.plan.target.version, check.plan.ifMatch, why)
    t.not(version, '', 'namerd names the new version')
    const after = await readHistory(api, 'web', signal())
    t.equal(after.length, 3, 'the rollback is itself a version in the history')
    t.equal(after[0]!.version, version)
    t.equal(
      after[0]!.why,
      'rollback to v1 (dashboard): v2 answers 503 — ticket № 7',
      'recorded as a rollback, with the reason, non-ASCII intact',
    )
    t.equal((await api.dtab('web')).dtab, '/svc=>/srv/world-v1')
  },
)

t.test(
  'a rollback planned before someone else wrote is refused (412) and writes nothing',
  async (t) => {
    const { api, write } = await namerd(t)
    await write('web', '/svc=>/srv/world-v1')
    await write('web', '/svc=>/srv/world-v2')
    const stale = await readHistory(api, 'web', signal())
    await write('web', '/svc=>/srv/world-v3')
    const check = planRollback(stale, stale[1]!.version)
    if (!check.ok) throw new Error(check.why)
    const err = await restore(api, 'web', check.plan.target.version, check.plan.ifMatch, '').catch(
      (e: unknown) => e,
    )
    t.ok(err instanceof ApiError, 'an ApiError the dialog can tell apart')
    t.equal((err as ApiError).status, 412)
    t.equal((await api.dtab('web')).dtab, '/svc=>/srv/world-v3', "the other writer's dtab stays")
    t.equal((await readHistory(api, 'web', signal())).length, 3, 'nothing written')
    // Planned again from the history read after the refusal, the rollback goes through.
    const fresh = await readHistory(api, 'web', signal())
    const again = planRollback(fresh, stale[1]!.version)
    if (!again.ok) throw new Error(again.why)
    t.same(
      again.plan.before,
      ['/svc => /srv/world-v3 ;'],
      'the diff is now from the current version',
    )
    await restore(api, 'web', again.plan.target.version, again.plan.ifMatch, '')
    t.equal((await api.dtab('web')).dtab, '/svc=>/srv/world-v1')
  },
)

t.test('a deleted namespace is brought back by a rollback without If-Match', async (t) => {
  const { api, write } = await namerd(t)
  await write('gone', '/svc=>/srv/world-v1')
  await api.send('/api/1/dtabs/gone', { method: 'DELETE' })
  const history = await readHistory(api, 'gone', signal())
  t.equal(history[0]!.op, 'delete')
  const check = planRollback(history, history[1]!.version)
  if (!check.ok) throw new Error(check.why)
  t.equal(check.plan.ifMatch, null)
  await restore(api, 'gone', check.plan.target.version, check.plan.ifMatch, '')
  t.equal((await api.dtab('gone')).dtab, '/svc=>/srv/world-v1')
  // Once it exists again, the same plan (no If-Match) is refused rather than overwriting.
  const err = await restore(api, 'gone', check.plan.target.version, null, '').catch(
    (e: unknown) => e,
  )
  t.ok(err instanceof ApiError && [409, 428].includes(err.status), `refused: ${String(err)}`)
})

t.test(
  'hostile namespace names reach namerd encoded and fail as ApiErrors, not crashes',
  async (t) => {
    const { api } = await namerd(t)
    for (const ns of ['../../etc/passwd', 'a/b', '%2e%2e', 'x?watch=1', ' ', 'é'.repeat(300)]) {
      const got = await readHistory(api, ns, signal()).then(
        (h) => ({ ok: true as const, h }),
        (e: unknown) => ({ ok: false as const, e }),
      )
      if (got.ok) t.same(got.h, [], `${JSON.stringify(ns.slice(0, 20))}: no history`)
      else t.ok(got.e instanceof ApiError, `${JSON.stringify(ns.slice(0, 20))}: ${String(got.e)}`)
    }
  },
)
