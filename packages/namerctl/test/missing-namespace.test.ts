// A namespace that does not exist is a failure, never an empty success: `status`, `delegate`
// and `history` exit 1 naming it, and `status --wait` does not pass when nobody is watching.
import t from 'tap'
import { INTERNAL, startNamerd, watch } from './helpers.js'
import { createNs } from './namerd-writes.js'

t.test('status of a missing namespace exits 1, names it and says how to list them', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'internal', INTERNAL)
  const r = await namerd.cli(['status', 'intrenal'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^Error: namespace "intrenal" does not exist\n/)
  t.match(r.stderr, /namerctl dtab list/)
  t.match(r.stderr, /internal/, 'the namespaces that exist are shown')
  const waited = await namerd.cli(['status', 'intrenal', '--wait', '--timeout', '1'])
  t.equal(waited.code, 1)
  t.match(waited.stderr, /namespace "intrenal" does not exist/)
})

t.test('delegate through a missing namespace exits 1 instead of printing a neg tree', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'internal', INTERNAL)
  const r = await namerd.cli(['delegate', 'intrenal', '/svc/world'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^Error: namespace "intrenal" does not exist\n/)
  t.match(r.stderr, /namerctl dtab list/)
  const json = await namerd.cli(['delegate', 'intrenal', '/svc/world', '-o', 'json'])
  t.equal(json.code, 1)
  const ok = await namerd.cli(['delegate', 'internal', '/svc/world'])
  t.equal(ok.code, 0, ok.stderr)
})

t.test('status --wait with no watchers fails at the timeout, saying none were seen', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'internal', INTERNAL)
  const r = await namerd.cli(['status', 'internal', '--wait', '--timeout', '0.5'])
  t.equal(r.code, 1)
  t.match(r.stdout, /No watchers\./)
  t.match(
    r.stderr,
    /^Error: 0 of the 1 watchers wanted have version v1 \(AAAAAAAAAAE=\) of internal after 0\.5 s\n/,
  )
  t.match(r.stderr, /no watchers were seen/)
})

t.test('status --wait --min-watchers N waits for N current watchers', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'internal', INTERNAL)
  const { lines } = await watch(t, `${namerd.base}/api/1/dtabs/internal?watch=1`, {
    'l5d-watcher-id': 'node-a',
  })
  await lines.next()
  const one = await namerd.cli(['status', 'internal', '--wait', '--timeout', '5'])
  t.equal(one.code, 0, one.stderr)
  const two = await namerd.cli([
    'status',
    'internal',
    '--wait',
    '--min-watchers',
    '2',
    '--timeout',
    '0.5',
  ])
  t.equal(two.code, 1)
  t.match(two.stderr, /^Error: 1 of the 2 watchers wanted have version v1 \(AAAAAAAAAAE=\)/)
  t.match(two.stderr, /seen: node-a at v1 \(AAAAAAAAAAE=\)/)
  const bad = await namerd.cli(['status', 'internal', '--wait', '--min-watchers', '0'])
  t.equal(bad.code, 2)
})

t.test('history of a namespace that never existed exits 1 instead of "No history"', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'internal', INTERNAL)
  const r = await namerd.cli(['history', 'intrenal'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^Error: namespace "intrenal" does not exist\n/)
  const ok = await namerd.cli(['history', 'internal'])
  t.equal(ok.code, 0, ok.stderr)
})
