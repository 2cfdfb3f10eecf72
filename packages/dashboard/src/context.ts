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
  /** Shows the token form (a read token met a write, or reads need a token). */
  readonly askToken: (why: string) => void
}

export const AppContext = createContext<AppContext | null>(null)

export function useApp(): AppContext {
  const ctx = useContext(AppContext)
  if (ctx === null) throw new Error('useApp outside <AppContext.Provider>')
  return ctx
}
