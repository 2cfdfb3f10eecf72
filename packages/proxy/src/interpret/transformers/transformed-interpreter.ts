// An interpreter with one transformer applied to its output, as Linkerd wraps a NameInterpreter
// (its InterpreterConfig folds the transformers over it in order, so the last one's prefix is
// outermost). Binding stays local and synchronous: the namers are wrapped so that every bound
// leaf they (or the `/$/` built-ins) produce carries the prefixed id, which routes, metrics,
// `l5d-dst-client` and the delegator all read; `addr` of a prefixed id is the inner
// interpreter's addr of the id without it, mapped by the transformer.
import {
  type Dtab,
  type MountedNamer,
  type Name,
  NameTree,
  namersLookup,
  Path,
} from '@switchyard/dtab'
import { Addr, Var } from '@switchyard/namers'
import type { Interpreter, InterpreterStatus } from '../types.js'
import type { Transformer } from './transformer.js'

export class TransformedInterpreter implements Interpreter {
  readonly namers: readonly MountedNamer[]
  /** Transformed vars being watched, shared by every route that reaches the id. */
  readonly #watched = new Map<string, Var<Addr>>()

  constructor(
    readonly inner: Interpreter,
    readonly transformer: Transformer,
  ) {
    const prefix = transformer.prefix
    const prefixed = (n: Name): Name =>
      n.type === 'bound' ? { ...n, id: Path.concat(prefix, n.id) } : n
    // Mounted at the empty prefix, so it sees every path, and asks the inner namers (read at
    // each lookup: a local interpreter mounts its own after a moment) and the built-ins. A
    // leaf that is still a path is looked up again by the dtab; it is prefixed once it binds.
    this.namers = [
      {
        prefix: Path.empty,
        namer: { lookup: (path) => NameTree.map(namersLookup(inner.namers, path), prefixed) },
      },
    ]
  }

  get dtab(): Dtab | undefined {
    return this.inner.dtab
  }

  get status(): InterpreterStatus {
    return this.inner.status
  }

  onChange(listener: () => void): () => void {
    return this.inner.onChange(listener)
  }

  addr(id: Path): Var<Addr> {
    const { prefix } = this.transformer
    if (!Path.startsWith(id, prefix)) return this.inner.addr(id)
    const key = Path.show(id)
    const shared = this.#watched.get(key)
    if (shared !== undefined) return shared
    const mapped = this.transformer.map(this.inner.addr(Path.drop(id, prefix.length)))
    // Registered only while watched, so ids nobody routes to any more cannot grow the map.
    const outer: Var<Addr> = Var.async<Addr>(
      Addr.pending,
      (update) => {
        if (!this.#watched.has(key)) this.#watched.set(key, outer)
        const unsubscribe = mapped.subscribe(update)
        update(mapped.sample())
        return () => {
          unsubscribe()
          if (this.#watched.get(key) === outer) this.#watched.delete(key)
        }
      },
      { equals: Addr.equals },
    )
    return outer
  }

  /** The inner interpreter's first dtab, and a transformer that can work (else it rejects). */
  async ready(timeoutMs?: number): Promise<void> {
    await this.inner.ready(timeoutMs)
    await this.transformer.ready()
  }

  async close(): Promise<void> {
    await this.inner.close()
    await this.transformer.close()
  }
}
