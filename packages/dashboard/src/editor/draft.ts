// An unsaved edit kept per namespace in sessionStorage (this tab only, like the token), so
// moving to another tab of the namespace and back does not lose it. Cleared on save and on
// Start again. What is read back is checked: storage is input like any other.
import { z } from 'zod'
import type { Draft } from './session.js'

const Stored = z.strictObject({
  text: z.string().max(1_000_000),
  base: z.strictObject({ dtab: z.string().max(1_000_000), version: z.string().max(1000) }),
})

export function draftKey(ns: string): string {
  return `switchyard.dtab-draft.${ns}`
}

/** The draft in `raw` (what storage held), or null when there is none or it is not one. */
export function parseDraft(raw: string | null): Draft | null {
  if (raw === null) return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  const parsed = Stored.safeParse(value)
  return parsed.success ? parsed.data : null
}

/** Storage that may be missing or refuse (private modes, quota): a draft is a convenience. */
export interface DraftStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export function loadDraft(store: DraftStore | null, ns: string): Draft | null {
  try {
    return parseDraft(store?.getItem(draftKey(ns)) ?? null)
  } catch {
    return null
  }
}

export function keepDraft(store: DraftStore | null, ns: string, draft: Draft | null): void {
  try {
    if (draft === null) store?.removeItem(draftKey(ns))
    else store?.setItem(draftKey(ns), JSON.stringify(draft))
  } catch {
    // Full or refused: the edit stays in the page while it is open, which is what matters.
  }
}
