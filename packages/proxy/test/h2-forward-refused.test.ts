// A backend's SETTINGS_MAX_CONCURRENT_STREAMS is respected from a session's first streams: the
// pool sends one stream on a new session until the backend's SETTINGS arrive, then up to its
// limit, opening more sessions or queueing past it. A stream the backend refused anyway
// (REFUSED_STREAM) is sent again without spending the retry budget: it was never processed.
import { constants } from 'node:http2'
import t from 'tap'
import { RetryBudget } from '../src/retry/budget.js'
import { ask, forwardingTo, h2Server } from './h2-forward-helpers.js'

const POST = { ':method': 'POST', ':path': '/pkg.Svc/Call', ':authority': 'svc', ':scheme': 'http' }

t.test(
  '100 concurrent calls to a backend allowing 5 streams per connection all succeed',
  async (t) => {
    let open = 0
    let most = 0
    const backend = await h2Server(
      (stream) => {
        open++
        most = Math.max(most, open)
        stream.on('close', () => {
          open--
        })
        stream.resume()
        stream.on('end', () =>
          setTimeout(() => {
            stream.respond({ ':status': 200 })
            stream.end('ok')
          }, 20),
        )
      },
      { maxConcurrentStreams: 5 },
    )
    // No budget to speak of: a refusal retried within it would fail most of the 100.
    const budget = new RetryBudget({ ttlMs: 10_000, minRetriesPerSec: 0, percentCanRetry: 0 })
    const { front, session } = await forwardingTo(t, [backend], {
      pool: { maxSessions: 2 },
      front: { budget },
    })
    const answers = await Promise.all(Array.from({ length: 100 }, () => ask(session, POST, 'x')))
    const statuses = answers.map((a) => a.headers[':status'])
    t.equal(statuses.filter((s) => Number(s) === 200).length, 100, 'all 100 answered 200')
    t.equal(front.results.filter((r) => r.ok).length, 100)
    t.equal(front.results.filter((r) => r.retries > 0).length, 0, 'no retry was needed')
    t.ok(most <= 10, `at most 5 streams per session reached the backend (${most} on 2 sessions)`)
  },
)

t.test('refused streams are sent again without the retry budget', async (t) => {
  let seen = 0
  const backend = await h2Server((stream) => {
    seen++
    // The first three are refused, as a backend past its own limit would.
    if (seen <= 3) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM)
      return
    }
    stream.resume()
    stream.on('end', () => {
      stream.respond({ ':status': 200 })
      stream.end('ok')
    })
  })
  const budget = new RetryBudget({ ttlMs: 10_000, minRetriesPerSec: 0, percentCanRetry: 0 })
  const { front, session } = await forwardingTo(t, [backend], { front: { budget, maxRetries: 0 } })
  const a = await ask(session, POST, 'x')
  t.equal(a.headers[':status'], 200)
  t.equal(a.body, 'ok')
  t.match(front.results[0], { ok: true, retries: 0, budgetExhausted: false })
})
