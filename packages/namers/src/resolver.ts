// From a bound id to its live Addr, as namerd's `addr` API answers: the mounted namer whose
// prefix the id starts with, else the global `/$/` names (`/$/inet`), else Neg. Vars are
// shared while watched, so many watchers of one hostname cause one DNS poll.
import { globalNamer, inetAddress, type Namer, Path } from '@switchyard/dtab'
import { errorMessage } from '@switchyard/wire'
import { Addr } from './addr.js'
import { type InetOptions, inetAddr } from './inet.js'
import { Var } from './var.js'

/** A namer that can also say where its bound names live. */
export interface AddrNamer extends Namer {
  /** The live Addr of a path as `lookup` receives it (after the mount prefix). */
  addr(path: Path): Var<Addr>
  /**
   * Binds by the name's shape alone, whatever exists now (io.l5d.k8s): for a router that binds
   * once and follows the addr, which is Neg while the name does not exist.
   */
  lookupByShape?(path: Path): ReturnType<Namer['lookup']>
}

/** Assignable to the core's `MountedNamer`, so the same list feeds `interpreterLookup`. */
export interface MountedAddrNamer {
  readonly prefix: Path
  readonly namer: AddrNamer
}

export interface AddrResolver {
  /** The live Addr of a bound id such as `/$/inet/127.0.0.1/8080` or `/#/io.l5d.fs/world`. */
  addr(id: Path): Var<Addr>
}

export interface ResolverOptions {
  readonly inet?: InetOptions
}

const NEG = Var.value<Addr>(Addr.neg)

export function createAddrResolver(
  namers: readonly MountedAddrNamer[],
  options: ResolverOptions = {},
): AddrResolver {
  // Only vars someone is watching are kept, so unknown ids cannot grow this map.
  const watched = new Map<string, Var<Addr>>()

  const source = (id: Path): Var<Addr> => {
    // Prefixes do not overlap (config.ts refuses that), so the first match is the only one.
    for (const { prefix, namer } of namers) {
      if (Path.startsWith(id, prefix)) return namer.addr(Path.drop(id, prefix.length))
    }
    let tree: ReturnType<Namer['lookup']>
    try {
      tree = globalNamer.lookup(id)
    } catch (err) {
      return Var.value<Addr>(Addr.failed(errorMessage(err))) // an unknown `/$/<kind>`
    }
    switch (tree.type) {
      case 'neg':
        return NEG
      case 'empty':
        return Var.value<Addr>(Addr.bound([]))
      case 'leaf': {
        const bound = tree.value.type === 'bound' ? tree.value.id : id
        const hp = inetAddress(bound)
        if (hp === undefined) return NEG
        const once = bound[1] === 'fixedinet'
        return inetAddr(hp.host, hp.port, once ? { ...options.inet, refreshMs: 0 } : options.inet)
      }
      default:
        return Var.value<Addr>(Addr.failed(`${Path.show(id)} is not a concrete bound id`))
    }
  }

  return {
    addr(id) {
      const key = Path.show(id)
      const shared = watched.get(key)
      if (shared !== undefined) return shared
      const inner = source(id)
      const outer: Var<Addr> = Var.async<Addr>(
        Addr.pending,
        (update) => {
          if (!watched.has(key)) watched.set(key, outer)
          const unsubscribe = inner.subscribe(update)
          update(inner.sample())
          return () => {
            unsubscribe()
            if (watched.get(key) === outer) watched.delete(key)
          }
        },
        { equals: Addr.equals },
      )
      return outer
    },
  }
}
