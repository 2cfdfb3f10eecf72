// The dtab editor's states: what a save is a compare-and-swap against, when the box follows the
// stored dtab and when it must not (an edit in progress), and the conflict after a refused save.
import t from 'tap'
import {
  canSave,
  draftOf,
  type EditorEvent,
  type EditorState,
  editorReducer,
  initialEditor,
  isEdited,
  isStale,
  type Stored,
  shortVersion,
} from '../src/editor/session.js'

const v1: Stored = { dtab: '/svc/world=>/srv/world-v1', version: 'AAAAAAAAAAE=' }
const v2: Stored = { dtab: '/svc/world=>/srv/world-v2', version: 'AAAAAAAAAAI=' }
const v3: Stored = { dtab: '/svc/world=>/srv/world-v3', version: 'AAAAAAAAAAM=' }

const run = (...events: EditorEvent[]): EditorState => events.reduce(editorReducer, initialEditor)
const loaded = (s: Stored = v1) => run({ type: 'stored', stored: s })
const typed = (text: string, from = loaded()) => editorReducer(from, { type: 'input', text })

t.test('the first read fills the box, one dentry per line, and nothing is to save', async (t) => {
  const s = loaded()
  t.equal(s.phase, 'ready')
  t.equal(s.text, '/svc/world => /srv/world-v1 ;\n')
  t.same(s.base, v1)
  t.notOk(isEdited(s))
  t.notOk(canSave(s), 'unchanged: Save is off')
})

t.test('an edit is judged by meaning: spacing alone changes nothing', async (t) => {
  t.notOk(isEdited(typed('  /svc/world=>/srv/world-v1;')), 'reformatted')
  t.ok(isEdited(typed('/svc/world => /srv/world-v2 ;')))
  t.ok(canSave(typed('/svc/world => /srv/world-v2 ;')))
  const typo = typed('/svc/world =>> /srv/world-v2')
  t.ok(isEdited(typo), 'text that does not parse is an edit')
  t.notOk(canSave(typo), 'but cannot be saved')
  t.notOk(canSave(editorReducer(typed('/a => /b'), { type: 'saving' })), 'not twice at once')
})

t.test('an unedited box follows the stored dtab; an edited one keeps the edit', async (t) => {
  const followed = editorReducer(loaded(), { type: 'stored', stored: v2 })
  t.same(followed.base, v2, 'the next save is against the new version')
  t.equal(followed.text, '/svc/world => /srv/world-v2 ;\n')
  t.match(followed.status, /changed .*the editor shows it/)

  const edit = '/svc/world => /srv/mine ;\n'
  const kept = editorReducer(typed(edit), { type: 'stored', stored: v2 })
  t.equal(kept.text, edit, 'the edit stays')
  t.same(kept.base, v1, 'still against the version it started from')
  t.ok(isStale(kept))
  t.match(kept.status, /The dtab changed since you started editing/)

  const same = editorReducer(kept, { type: 'stored', stored: v2 })
  t.equal(same, kept, 'the same version again changes nothing')
})

t.test('a save moves the base to the version namerd answered', async (t) => {
  const s = run(
    { type: 'stored', stored: v1 },
    { type: 'input', text: '/svc/world=>/srv/world-v2' },
    { type: 'saving' },
    { type: 'saved', stored: v2 },
  )
  t.same(s.base, v2)
  t.same(s.latest, v2)
  t.equal(s.text, '/svc/world => /srv/world-v2 ;\n')
  t.notOk(s.saving)
  t.match(s.status, /^Saved/)
  t.notOk(isEdited(s))
})

t.test('a refused save is a conflict: nothing of the edit is lost', async (t) => {
  const edit = '/svc/world => /srv/mine ;'
  const s = run(
    { type: 'stored', stored: v1 },
    { type: 'input', text: edit },
    { type: 'saving' },
    { type: 'conflict', current: v2 },
  )
  t.same(s.conflict, { started: v1, current: v2 })
  t.equal(s.text, edit)
  t.same(s.base, v1, 'a second Save would be refused again, not overwrite v2')
  t.match(s.status, /Nothing was saved/)

  const newer = editorReducer(s, { type: 'stored', stored: v3 })
  t.same(newer.conflict?.current, v3, 'the conflict compares with the newest version')
  t.equal(newer.text, edit)

  const again = editorReducer(newer, { type: 'start-again' })
  t.equal(again.conflict, null)
  t.same(again.base, v3)
  t.equal(again.text, '/svc/world => /srv/world-v3 ;\n', 'start again keeps nothing of the edit')

  const mine = editorReducer(newer, { type: 'keep-mine' })
  t.equal(mine.conflict, null)
  t.same(mine.base, v3, 'the next save replaces the current version, knowingly')
  t.equal(mine.text, edit)
  t.ok(canSave(mine))
})

t.test(
  'Save on an edit known to be behind namerd sends nothing: the conflict (audit16b L1)',
  async (t) => {
    const edit = '/svc/world => /srv/mine ;'
    const behind = run(
      { type: 'stored', stored: v1 },
      { type: 'input', text: edit },
      { type: 'stored', stored: v2 },
    )
    t.ok(isStale(behind), 'namerd moved on while the edit was open')
    const s = editorReducer(behind, { type: 'behind' })
    t.same(s.conflict, { started: v1, current: v2 }, 'the conflict, as after a refused save')
    t.notOk(s.saving, 'no save in flight: nothing was sent')
    t.equal(s.text, edit, 'the edit stays in the box')
    t.match(s.status, /Not sent/)
    const current = editorReducer(loaded(), { type: 'behind' })
    t.equal(current.conflict, null, 'an edit that is not behind has no conflict')
  },
)

t.test('a conflict whose current dtab could not be read waits for the next read', async (t) => {
  const s = run(
    { type: 'stored', stored: v1 },
    { type: 'input', text: '/a=>/b' },
    { type: 'conflict', current: null },
  )
  t.same(s.conflict, { started: v1, current: null })
  t.same(editorReducer(s, { type: 'stored', stored: v2 }).conflict, { started: v1, current: v2 })
})

t.test('a missing namespace, and one that comes (back)', async (t) => {
  t.equal(run({ type: 'missing' }).phase, 'missing')
  const created = run({ type: 'missing' }, { type: 'stored', stored: v1 })
  t.equal(created.phase, 'ready')
  t.equal(created.text, '/svc/world => /srv/world-v1 ;\n')

  const edit = '/svc/world => /srv/mine ;'
  const back = run(
    { type: 'stored', stored: v1 },
    { type: 'input', text: edit },
    { type: 'missing' },
    { type: 'stored', stored: v2 },
  )
  t.equal(back.text, edit, 'an edit made before it was deleted is kept')
  t.same(back.base, v2)

  const unedited = run(
    { type: 'stored', stored: v1 },
    { type: 'missing' },
    { type: 'stored', stored: v2 },
  )
  t.equal(unedited.text, '/svc/world => /srv/world-v2 ;\n', 'an unedited box shows the new one')
})

t.test(
  'a read during a save does not call the save’s own version a change behind the edit',
  async (t) => {
    const s = run(
      { type: 'stored', stored: v1 },
      { type: 'input', text: '/svc/world=>/srv/world-v2' },
      { type: 'saving' },
      { type: 'stored', stored: v2 },
    )
    t.equal(s.status, null, 'no note while saving')
    const saved = editorReducer(s, { type: 'saved', stored: v2 })
    t.match(saved.status, /^Saved/)
    t.notOk(isStale(saved))
  },
)

t.test('typing again clears the last note', async (t) => {
  const saved = run(
    { type: 'stored', stored: v1 },
    { type: 'input', text: '/svc/world=>/srv/world-v2' },
    { type: 'saved', stored: v2 },
  )
  t.equal(editorReducer(saved, { type: 'input', text: '/x=>/y' }).status, null)
})

t.test('versions are named as the history and namerctl name them: v2, not the ETag', async (t) => {
  const saved = run(
    { type: 'stored', stored: v1 },
    { type: 'input', text: '/svc/world=>/srv/world-v2' },
    { type: 'saved', stored: v2 },
  )
  t.equal(saved.status, 'Saved: the dtab is at version v2.')
  const behind = editorReducer(typed('/svc/world => /srv/mine ;'), { type: 'stored', stored: v3 })
  t.match(behind.status, /namerd is at version v3 now/)
  t.equal(shortVersion('"not-a-counter"'), '"not-a-counter"', 'an ETag without a number as is')
})

t.test('an unsaved edit is kept as a draft and comes back before the first read', async (t) => {
  t.equal(draftOf(loaded()), null, 'nothing edited: no draft')
  const edit = '/svc/world => /srv/mine ;\n'
  const draft = draftOf(typed(edit))
  t.same(draft, { text: edit, base: v1 }, 'the edit and the version it started from')

  const back = run({ type: 'draft', draft: draft! }, { type: 'stored', stored: v1 })
  t.equal(back.phase, 'ready')
  t.equal(back.text, edit, 'the edit is in the box again')
  t.same(back.base, v1)
  t.ok(canSave(back))
  t.match(back.status, /Your unsaved edit is back .*v1/)

  const moved = run({ type: 'draft', draft: draft! }, { type: 'stored', stored: v2 })
  t.equal(moved.text, edit, 'kept although namerd moved on')
  t.same(moved.base, v1, 'a save is still against v1, so it would be refused, not overwrite v2')
  t.ok(isStale(moved))

  const late = editorReducer(loaded(v2), { type: 'draft', draft: draft! })
  t.equal(late.text, '/svc/world => /srv/world-v2 ;\n', 'a draft after the first read is ignored')

  const saved = editorReducer(editorReducer(back, { type: 'saving' }), {
    type: 'saved',
    stored: v2,
  })
  t.equal(draftOf(saved), null, 'a save leaves no draft')
  const conflict = editorReducer(typed(edit), { type: 'conflict', current: v2 })
  t.same(
    draftOf(conflict),
    { text: edit, base: v1 },
    'a refused edit is kept too, against the version it started from',
  )
  t.equal(draftOf(editorReducer(conflict, { type: 'start-again' })), null, 'until Start again')
})
