// The dtab editor's state, as a reducer: what the user started from (the version a save is a
// compare-and-swap against), what is stored now (followed live), the text in the box, and the
// conflict when a save was refused. Pure, so every transition is tested under node; the view
// only renders it and sends the requests.
import { dtabText } from '../dtab-lines.js'
import { versionName } from '../history/version.js'
import { canonical } from './check.js'

/** A dtab as namerd stores it (`Dtab.show`, one line) and its version (the ETag). */
export interface Stored {
  readonly dtab: string
  readonly version: string
}

export interface Conflict {
  /** The version the refused edit started from. */
  readonly started: Stored
  /** What namerd has now; null while it is being read (or when the read failed). */
  readonly current: Stored | null
}

export interface EditorState {
  /** `loading` until the first read; `missing` while the namespace does not exist. */
  readonly phase: 'loading' | 'missing' | 'ready'
  /** What the edit started from: a save sends If-Match of its version. */
  readonly base: Stored | null
  /** The newest stored dtab read. */
  readonly latest: Stored | null
  readonly text: string
  /** The last thing that happened, for the status region (saved, reloaded, changed meanwhile). */
  readonly status: string | null
  readonly conflict: Conflict | null
  readonly saving: boolean
}

export type EditorEvent =
  | { readonly type: 'stored'; readonly stored: Stored }
  | { readonly type: 'missing' }
  | { readonly type: 'input'; readonly text: string }
  | { readonly type: 'saving' }
  | { readonly type: 'saved'; readonly stored: Stored }
  | { readonly type: 'save-failed' }
  | { readonly type: 'conflict'; readonly current: Stored | null }
  | { readonly type: 'start-again' }
  | { readonly type: 'keep-mine' }
  /** Save asked while namerd is known to have moved on: the conflict, with nothing sent. */
  | { readonly type: 'behind' }
  /** An unsaved edit kept for this namespace (the user left the tab and came back). */
  | { readonly type: 'draft'; readonly draft: Draft }

/** An edit not saved yet: its text and the version it started from. */
export interface Draft {
  readonly text: string
  readonly base: Stored
}

export const initialEditor: EditorState = {
  phase: 'loading',
  base: null,
  latest: null,
  text: '',
  status: null,
  conflict: null,
  saving: false,
}

/**
 * A version as people read it: `v12` as the history, the namespaces list and namerctl name it
 * (the ETag is shown on hover), or the ETag cut short when it carries no number.
 */
export function shortVersion(version: string): string {
  return versionName(version)
}

/**
 * The edit to keep while the user is elsewhere: only an edit, never the stored text itself. In a
 * conflict too (against the version it started from, so it comes back as behind namerd).
 */
export function draftOf(state: EditorState): Draft | null {
  if (state.phase !== 'ready' || state.base === null) return null
  return isEdited(state) ? { text: state.text, base: state.base } : null
}

/**
 * The box differs from what the edit started from, by meaning: whitespace and line breaks do
 * not count (namerd stores `Dtab.show` of what it parsed); text that does not parse does.
 */
export function isEdited(state: EditorState): boolean {
  const from = state.base === null ? '' : state.base.dtab
  const mine = canonical(state.text)
  if (mine === null) return true
  return mine !== (canonical(from) ?? from)
}

/** The stored dtab moved on since the edit started (a save now would be refused). */
export function isStale(state: EditorState): boolean {
  return state.base !== null && state.latest !== null && state.latest.version !== state.base.version
}

/** Save is possible: it parses, it changes something, nothing is in flight. */
export function canSave(state: EditorState): boolean {
  return (
    state.phase === 'ready' && !state.saving && canonical(state.text) !== null && isEdited(state)
  )
}

export function editorReducer(state: EditorState, event: EditorEvent): EditorState {
  switch (event.type) {
    case 'stored':
      return onStored(state, event.stored)
    case 'missing':
      return { ...state, phase: 'missing', latest: null, saving: false }
    case 'input':
      // What happened before (saved, reloaded) is old news once the user types again.
      return { ...state, text: event.text, status: null }
    case 'saving':
      return { ...state, saving: true, status: null }
    case 'saved':
      return {
        ...state,
        phase: 'ready',
        base: event.stored,
        latest: event.stored,
        text: dtabText(event.stored.dtab),
        saving: false,
        conflict: null,
        status: `Saved: the dtab is at version ${shortVersion(event.stored.version)}.`,
      }
    case 'save-failed':
      return { ...state, saving: false }
    case 'conflict': {
      if (state.base === null) return { ...state, saving: false }
      return {
        ...state,
        saving: false,
        latest: event.current ?? state.latest,
        conflict: { started: state.base, current: event.current },
        status: 'Nothing was saved: the dtab changed meanwhile.',
      }
    }
    case 'behind': {
      // No write that namerd is known to refuse (its If-Match is behind): the same choices as
      // a refused save, said as what it is (audit16b L1).
      if (!isStale(state) || state.base === null) return state
      return {
        ...state,
        conflict: { started: state.base, current: state.latest },
        status:
          'Not sent: the dtab changed on namerd since you started editing, so namerd would refuse this save.',
      }
    }
    case 'start-again': {
      const current = state.conflict?.current ?? state.latest
      if (current === null) return state
      return {
        ...state,
        base: current,
        latest: current,
        text: dtabText(current.dtab),
        conflict: null,
        status: `Started again from the current dtab, version ${shortVersion(current.version)}.`,
      }
    }
    case 'draft': {
      // Only before the first read: the stored dtab read next becomes `latest`, and the draft's
      // base stays what a save is a compare-and-swap against (stale if namerd moved on).
      if (state.phase !== 'loading') return state
      return {
        ...state,
        base: event.draft.base,
        text: event.draft.text,
        status: `Your unsaved edit is back (it started from version ${shortVersion(event.draft.base.version)}).`,
      }
    }
    case 'keep-mine': {
      const current = state.conflict?.current ?? state.latest
      if (current === null) return state
      return {
        ...state,
        base: current,
        latest: current,
        conflict: null,
        status: `Your edit is now compared with the current dtab, version ${shortVersion(current.version)}: review the changes, then save.`,
      }
    }
  }
}

function onStored(state: EditorState, stored: Stored): EditorState {
  if (state.phase === 'loading' && state.base !== null) {
    // A draft came back before the first read: keep it, compare it with what is stored now.
    return { ...state, phase: 'ready', latest: stored }
  }
  if (state.phase !== 'ready' || state.base === null) {
    // The first read, or the namespace (re)appeared: an edit made before it went is kept.
    const keep = state.phase === 'missing' && state.base !== null && isEdited(state)
    return {
      ...state,
      phase: 'ready',
      base: stored,
      latest: stored,
      text: keep ? state.text : dtabText(stored.dtab),
      status:
        state.phase === 'missing'
          ? `The namespace exists now, at version ${shortVersion(stored.version)}.`
          : state.status,
    }
  }
  if (state.latest !== null && state.latest.version === stored.version) return state
  // While a save is in flight its own new version may be read first: the save's answer decides.
  if (state.saving) return { ...state, latest: stored }
  if (state.conflict !== null) {
    // The conflict compares with the newest version.
    return { ...state, latest: stored, conflict: { ...state.conflict, current: stored } }
  }
  if (stored.version === state.base.version) return { ...state, latest: stored }
  if (!isEdited(state)) {
    return {
      ...state,
      base: stored,
      latest: stored,
      text: dtabText(stored.dtab),
      status: `The stored dtab changed (now version ${shortVersion(stored.version)}); the editor shows it.`,
    }
  }
  return {
    ...state,
    latest: stored,
    status: `The dtab changed since you started editing (namerd is at version ${shortVersion(stored.version)} now).`,
  }
}
