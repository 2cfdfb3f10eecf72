// What every view reads: the API client and what the session's token allows.
import type { Whoami } from '@switchyard/wire'
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { Api } from './api/client.js'

export interface AppContext {
  readonly api: Api
  /** What namerd said this session may do; null until it answered. */
  readonly whoami: Whoami | null
  /** Writes are allowed: buttons that change something are enabled only then. */
  readonly canWrite: boolean
  /**
   * Why writes are off, in words a view shows beside its disabled control ("this session has a
   * read-only token (grafana)", "no token given: writes need a write token"); null when they are on.
   */
  readonly readOnlyReason: string | null
  /** Shows the token form (a read token met a write, or reads need a token). */
  readonly askToken: (why: string) => void
}

export const AppContext = createContext<AppContext | null>(null)

/** The reason writes are off for a session namerd described, or null when they are on. */
export function readOnlyReason(whoami: Whoami | null): string | null {
  if (whoami === null) return 'namerd has not said yet what this session may do'
  if (whoami.scope === 'write') return null
  if (whoami.name !== null)
    return `the token ${whoami.name} is read-only: writes need a write token`
  return 'no token given: writes need a write token (Give a token, at the top)'
}

export function useApp(): AppContext {
  const ctx = useContext(AppContext)
  if (ctx === null) throw new Error('useApp outside <AppContext.Provider>')
  return ctx
}
