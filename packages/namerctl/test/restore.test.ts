// Restoring: `rollback` brings back a deleted namespace from its history, and versions are shown
// and accepted in their short form (`v3`) beside the ETag.
import t from 'tap'
import { fetchDtab, fetchHistory, INTERNAL, startNamerd } from './helpers.js'
import { createNs, deleteNs, putNs } from './namerd-writes.js'

/** INTERNAL with /host/world sent elsewhere: a second version. */
const to = (dst: string) =>
  INTERNAL.replace('/host/world => /srv/world-v1', `/host/world => ${dst}`)

t.test('rollback of a deleted namespace restores the dtab it had before the delete', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'internal', INTERNAL)
  await putNs(namerd.base, 'internal', to('/tmp/world-v2'))
  const before = await fetchDtab(namerd.base, 'internal')
  await deleteNs(namerd.base, 'internal')

  const dry = await namerd.cli(['rollback', 'internal', '--dry-run'])
  t.equal(dry.code, 0, dry.stderr)
  t.match(dry.stdout, /\+ \/host\/world => \/tmp\/world-v2\n/)
  t.match(dry.stdout, /Dry run: nothing written\.\n$/)
  t.equal((await fetch(`${namerd.base}/api/1/dtabs/internal`)).status, 404)

  const r = await namerd.cli(['rollback', 'internal'])
  t.equal(r.code, 0, r.stderr)
  t.match(
    r.stdout,
    /Restored deleted namespace internal from v2 \(AAAAAAAAAAI=\) \(now version v\d+ \(/,
  )
  t.equal((await fetchDtab(namerd.base, 'internal')).text, before.text)
  const [latest] = await fetchHistory(namerd.base, 'internal')
  t.equal(latest?.op, 'create')
})

t.test(
  'rollback --to a version, by ETag or short form, restores a deleted namespace',
  async (t) => {
    const namerd = await startNamerd(t)
    await createNs(namerd.base, 'internal', INTERNAL)
    const v1 = await fetchDtab(namerd.base, 'internal')
    await putNs(namerd.base, 'internal', to('/tmp/world-v2'))
    await deleteNs(namerd.base, 'internal')
    const r = await namerd.cli(['rollback', 'internal', '--to', 'v1'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /Restored deleted namespace internal from v1 \(AAAAAAAAAAE=\)/)
    t.equal((await fetchDtab(namerd.base, 'internal')).text, v1.text)

    await deleteNs(namerd.base, 'internal')
    const byEtag = await namerd.cli(['rollback', 'internal', '--to', 'AAAAAAAAAAI='])
    t.equal(byEtag.code, 0, byEtag.stderr)
    t.match((await fetchDtab(namerd.base, 'internal')).text, '/host/world=>/tmp/world-v2')
    const deletion = await namerd.cli(['rollback', 'internal', '--to', 'v3'])
    t.equal(deletion.code, 1, 'version 3 is the first deletion: nothing to restore')
    t.match(deletion.stderr, /version v3 \(AAAAAAAAAAM=\) of internal is a deletion/)
  },
)

t.test('rollback of a namespace that never existed exits 1 and names it', async (t) => {
  const namerd = await startNamerd(t)
  const r = await namerd.cli(['rollback', 'nothing'])
  t.equal(r.code, 1)
  t.match(r.stderr, /namespace "nothing" does not exist and has no history/)
})

t.test('rollback --to vN on a live namespace; an unknown vN says so', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'internal', INTERNAL)
  await putNs(namerd.base, 'internal', to('/tmp/world-v1'))
  await putNs(namerd.base, 'internal', to('/tmp/world-v2'))
  const r = await namerd.cli(['rollback', 'internal', '--to', 'v1'])
  t.equal(r.code, 0, r.stderr)
  t.match(
    r.stdout,
    /Rolled back internal to v1 \(AAAAAAAAAAE=\) \(now version v4 \(AAAAAAAAAAQ=\)\)\n$/,
  )
  t.match((await fetchDtab(namerd.base, 'internal')).text, '/host/world=>/srv/world-v1')
  const unknown = await namerd.cli(['rollback', 'internal', '--to', 'v9'])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /internal has no version v9 \(AAAAAAAAAAk=\) in its history/)
})

t.test('history and status print the short version beside the ETag', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'internal', INTERNAL)
  await putNs(namerd.base, 'internal', to('/tmp/world-v1'))
  const h = await namerd.cli(['history', 'internal'])
  t.equal(h.code, 0, h.stderr)
  const lines = h.stdout.split('\n')
  t.match(lines[0], /^v2 \(AAAAAAAAAAI=\) {2}put {2}/)
  t.match(lines[3], /^v1 \(AAAAAAAAAAE=\) {2}create /)
  const s = await namerd.cli(['status', 'internal'])
  t.match(s.stdout, /^Namespace internal is at version v2 \(AAAAAAAAAAI=\)\.\n/)
})
