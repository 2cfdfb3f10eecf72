// The PromQL of the Prometheus source: the regex of a version's ids matches a `client` label
// exactly when that label is one of the ids, with or without a transformer's prefix, whatever
// characters the ids hold. Checked with JavaScript's `u` regexes, whose syntax for what
// promql.ts writes (escaped punctuation, classes, groups, alternation) is RE2's; the real
// Prometheus reads the same strings in rollouts-prometheus.test.ts.
import fc from 'fast-check'
import t from 'tap'
import {
  clientRegex,
  escapeRegex,
  promString,
  SANITY_QUERY,
  versionQueries,
} from '../src/rollouts/sources/promql.js'

/** As Prometheus applies a label regex: anchored at both ends. */
const matches = (regex: string, label: string) => new RegExp(`^(?:${regex})$`, 'u').test(label)

/** Linkerd's stripTransformerPrefix on a label: `%/t/.../#/x` → `#/x`. */
function stripLabel(label: string): string {
  const segments = label.split('/')
  if (segments[0] !== '%') return label
  const i = segments.findIndex((s, k) => k > 0 && (s === '#' || s === '$'))
  return i === -1 ? '' : segments.slice(i).join('/')
}
const transformable = (label: string) => ['#', '$'].includes(label.split('/', 1)[0]!)
/** What the regex of `id` must match: the id itself, or a transformed form of it. */
const expected = (id: string, label: string) =>
  label === id || (transformable(id) && label.startsWith('%/') && stripLabel(label) === id)

t.test('ids as the proxy labels them, and transformed', async (t) => {
  const rows: [string[], string, boolean][] = [
    [['/$/inet/127.0.0.1/9002'], '$/inet/127.0.0.1/9002', true],
    [['/$/inet/127.0.0.1/9002'], '$/inet/127x0x0x1/9002', false],
    [['/$/inet/127.0.0.1/9002'], '$/inet/127.0.0.1/90021', false],
    [['/$/inet/127.0.0.1/9002'], 'x$/inet/127.0.0.1/9002', false],
    [['/#/io.l5d.fs/world-v2'], '#/io.l5d.fs/world-v2', true],
    [['/#/io.l5d.fs/world-v2'], '%/io.l5d.port/4141/#/io.l5d.fs/world-v2', true],
    [['/#/io.l5d.fs/world-v2'], '%/io.l5d.k8s.daemonset/default/l5d/#/io.l5d.fs/world-v2', true],
    [['/#/io.l5d.fs/world-v2'], '%/x/#/other/#/io.l5d.fs/world-v2', false],
    [['/#/io.l5d.fs/world-v2'], '#/io.l5d.fs/world-v1', false],
    [['#/io.l5d.fs/world-v1', '#/io.l5d.fs/world-v2'], '#/io.l5d.fs/world-v1', true],
    [['#/io.l5d.fs/world-v1', '#/io.l5d.fs/world-v2'], '#/io.l5d.fs/world-v2', true],
    [['#/io.l5d.fs/world-v1', '#/io.l5d.fs/world-v2'], '#/io.l5d.fs/world-v3', false],
    [['/#/a(b)|c[d]{2}*+?^\\'], '#/a(b)|c[d]{2}*+?^\\', true],
    [['/#/a(b)|c'], 'c', false],
  ]
  for (const [ids, label, want] of rows) {
    t.equal(matches(clientRegex(ids), label), want, `${ids.join(', ')} ~ ${label}`)
  }
})

t.test('escaping: every RE2 metacharacter is escaped, and nothing else is', async (t) => {
  t.equal(escapeRegex('$/inet/127.0.0.1/80'), '\\$/inet/127\\.0\\.0\\.1/80')
  t.equal(escapeRegex('\\.+*?()|[]{}^$'), '\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$')
  t.equal(escapeRegex('#/io.l5d.fs/a-b_c%d'), '#/io\\.l5d\\.fs/a-b_c%d', '- # % / _ are literal')
})

// Labels built from an id's own characters, transformer-like prefixes and near misses, so
// that the interesting collisions are likely, not just possible.
const alphabet = fc.constantFrom(
  '#',
  '$',
  '%',
  '/',
  '.',
  'a',
  '\\',
  '(',
  '|',
  ')',
  '*',
  '\n',
  'é',
  '😀',
)
const idText = fc.oneof(
  fc.array(alphabet, { maxLength: 12 }).map((cs) => cs.join('')),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc
    .array(fc.constantFrom('#', '$', 'io.l5d.fs', 'world-v2', '127.0.0.1', 'x|y'), {
      minLength: 1,
      maxLength: 4,
    })
    .map((s) => s.join('/')),
)
const segments = fc.array(fc.constantFrom('', 'io.l5d.port', '4141', '#', '$', '#x', 'a/b', '%'), {
  maxLength: 3,
})

t.test('any id is matched by its own regex, transformed or not, and by nothing else', async (t) => {
  fc.assert(
    fc.property(idText, (id) => {
      return matches(clientRegex([id]), id.startsWith('/') ? id.slice(1) : id)
    }),
    { numRuns: 500 },
  )
  t.pass('500 ids match their own label')
  fc.assert(
    fc.property(idText, idText, segments, fc.boolean(), (id, other, segs, prefixed) => {
      const label = prefixed ? ['%', ...segs, other].join('/') : other
      // The id in label form, as clientRegex reads it.
      const own = id.startsWith('/') ? id.slice(1) : id
      return matches(clientRegex([id]), label) === expected(own, label)
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 labels, prefixed or not, match exactly when they strip to the id')
  fc.assert(
    fc.property(idText, segments, (id, segs) => {
      const own = id.startsWith('/') ? id.slice(1) : id
      const label = ['%', ...segs, own].join('/')
      return matches(clientRegex([id]), label) === expected(own, label)
    }),
    { numRuns: 1000 },
  )
  t.pass('1000 transformer prefixes in front of the id itself')
})

t.test('a regex survives the PromQL string it is written in', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 24 }), (text) => {
      // PromQL unquotes as Go does; JSON's escapes are a subset of Go's.
      return JSON.parse(promString(text)) === text
    }),
  )
  t.pass('any text round-trips through promString')
  const q = versionQueries(['/$/inet/127.0.0.1/9002'], 1500)
  t.equal(
    q.requests,
    'sum(increase(rt:client:requests{client=~"(?:(?:%(?:/(?:[^/#$][^/]*|[#$][^/]+)?)*/)?\\\\$/inet/127\\\\.0\\\\.0\\\\.1/9002)"}[1500ms]))',
  )
  t.match(q.successes, /^sum\(increase\(rt:client:success\{client=~".*"\}\[1500ms\]\)\)$/)
  t.match(
    q.p99,
    /^histogram_quantile\(0\.99, sum by \(le\) \(increase\(rt:client:request_latency_ms_bucket\{client=~".*"\}\[1500ms\]\)\)\)$/,
  )
  t.match(SANITY_QUERY, /rt:interpreter:connected/)
  t.throws(() => clientRegex([]), /no ids/)
})
