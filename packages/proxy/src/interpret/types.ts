// What a router needs from wherever its base dtab and addresses come from (namerd, or a local
// dtab and namers). The router binds locally with the dtab core; the interpreter supplies the
// inputs and the live addresses.
import type { Dtab, MountedNamer, Path } from '@switchyard/dtab'
import type { Addr, Var } from '@switchyard/namers'

export interface InterpreterStatus {
  readonly kind: 'namerd' | 'local'
  /** namerd: the dtab watch is open. local: the last read of the dtab (file) succeeded. */
  readonly connected: boolean
  /** namerd's ETag for the dtab in use (when namerd confirmed it); local: a counter. */
  readonly version?: string
  /** ms epoch of the last good state. */
  readonly updatedAt?: number
  readonly lastError?: string
  readonly namespace?: string
}

export interface Interpreter {
  /** The current base dtab, or undefined until the first good state (a fresh proxy answers 503 then). */
  readonly dtab: Dtab | undefined
  readonly status: InterpreterStatus
  /** Called after every change of the base dtab (not on reconnects that bring the same dtab). */
  onChange(listener: () => void): () => void
  /**
   * How leaves bind: the namers for the core's bind/delegate (interpreterLookup). Every name
   * under a namer's prefix binds; whether it exists is a property of its addr (Neg), which is
   * live, so a cached binding never goes stale when a name appears or disappears.
   */
  readonly namers: readonly MountedNamer[]
  /** The live Addr of a concrete bound id. Shared per id while watched. */
  addr(id: Path): Var<Addr>
  /** Resolves once the first dtab is there, or after `timeoutMs` (then `dtab` is still undefined). */
  ready(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}
