// A hand-driven interpreter for the route tests: the base dtab and every addr set by the test.
import { Dtab, type Path } from '@switchyard/dtab'
import { Addr, type MutableVar, Var } from '@switchyard/namers'
import { namerdHashNamer } from '../src/interpret/bound-namers.js'
import type { Interpreter, InterpreterStatus } from '../src/interpret/types.js'

export class FakeInterpreter implements Interpreter {
  dtab: Dtab | undefined
  readonly status: InterpreterStatus = { kind: 'local', connected: true }
  readonly namers = [namerdHashNamer]
  readonly addrs = new Map<string, MutableVar<Addr>>()
  readonly #listeners = new Set<() => void>()

  constructor(dtab?: string) {
    this.dtab = dtab === undefined ? undefined : Dtab.read(dtab)
  }

  setDtab(text: string): void {
    this.dtab = Dtab.read(text)
    for (const l of this.#listeners) l()
  }

  /** The var of `/#/<name>`, made on first use, pending until set. */
  var(name: string): MutableVar<Addr> {
    let v = this.addrs.get(name)
    if (v === undefined) {
      v = Var.mutable<Addr>(Addr.pending, { equals: Addr.equals })
      this.addrs.set(name, v)
    }
    return v
  }

  set(name: string, addr: Addr): void {
    this.var(name).set(addr)
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  addr(id: Path): Var<Addr> {
    return this.var(id.slice(1).join('/'))
  }

  async ready(): Promise<void> {}
  async close(): Promise<void> {}
}

export const up = (port: number): Addr => Addr.bound([{ ip: '127.0.0.1', port, meta: {} }])

/** A seeded generator (mulberry32), so weighted picks are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
