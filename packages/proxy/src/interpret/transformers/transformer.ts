// A transformer, as Linkerd 1 applies one to an interpreter's output: every bound leaf's id
// gets `/%/<prefix>` in front (so metrics, `l5d-dst-client` and the delegator show that the
// name was transformed) and its Addr is mapped, live.
import type { Path } from '@switchyard/dtab'
import { Addr, Var } from '@switchyard/namers'

export interface Transformer {
  /** The config kind, e.g. `io.l5d.k8s.localnode`. */
  readonly kind: string
  /** What is put in front of each bound id: `/%` ++ the config's prefix (or the kind's default). */
  readonly prefix: Path
  /** The transformed Addr of a name whose untransformed Addr is `addr`; follows it while watched. */
  map(addr: Var<Addr>): Var<Addr>
  /** Resolves when the transformer can work; rejects with what to fix (the start fails). */
  ready(): Promise<void>
  /** Stops what the transformer watches itself (the daemonset's endpoints). */
  close(): Promise<void>
}

/** Linkerd's `Paths.TransformerPrefix`. */
export const TRANSFORMER_PREFIX = '%'

/** A var that is `f` of `source`, recomputed on each change while someone watches it. */
export function mapVar(source: Var<Addr>, f: (a: Addr) => Addr): Var<Addr> {
  return Var.async<Addr>(
    Addr.pending,
    (update) => {
      const unsubscribe = source.subscribe((a) => update(f(a)))
      update(f(source.sample()))
      return unsubscribe
    },
    { equals: Addr.equals },
  )
}

/** A var that is `f` of two sources, recomputed when either changes while someone watches it. */
export function combineVars(a: Var<Addr>, b: Var<Addr>, f: (a: Addr, b: Addr) => Addr): Var<Addr> {
  return Var.async<Addr>(
    Addr.pending,
    (update) => {
      const recompute = () => update(f(a.sample(), b.sample()))
      const offA = a.subscribe(recompute)
      const offB = b.subscribe(recompute)
      recompute()
      return () => {
        offA()
        offB()
      }
    },
    { equals: Addr.equals },
  )
}
