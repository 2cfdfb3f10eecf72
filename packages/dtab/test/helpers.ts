// Shared helpers for the dtab tests: capturing errors, printing bound trees, and small namers.
import {
  type Bound,
  bound,
  DtabParseError,
  type MountedNamer,
  type Name,
  NamerFailedError,
  NameTree,
  Path,
} from '@switchyard/dtab'

/** The error `f` throws; throws itself when `f` returns normally. */
export function errorOf(f: () => unknown): Error {
  try {
    f()
  } catch (err) {
    if (err instanceof Error) return err
    throw new Error(`threw a non-Error: ${String(err)}`)
  }
  throw new Error('expected an error, but the call returned normally')
}

/** The message of the DtabParseError that `read(input)` throws; anything else is a failure. */
export function parseMessage(read: (s: string) => unknown, input: string): string {
  const err = errorOf(() => read(input))
  if (!(err instanceof DtabParseError)) {
    throw new Error(`expected a DtabParseError for ${JSON.stringify(input)}, got ${err.name}`)
  }
  return err.message
}

/** A bound tree printed with each leaf as its id, the way Finagle shows Name.Bound leaves. */
export const showBound = (tree: NameTree<Bound>): string =>
  NameTree.showWith(tree, (b) => Path.show(b.id))

/**
 * A namer mounted at `/#/<name>` that binds `/#/<name>/<svc>` for the listed services (the rest
 * of the path is the residual), fails with `error naming <full path>` for `broken`, and is Neg
 * for anything else. Every path it is asked about is recorded in `asked`.
 */
export function testNamer(
  name: string,
  services: readonly string[],
): MountedNamer & { asked: string[] } {
  const prefix = Path.read(`/#/${name}`)
  const asked: string[] = []
  return {
    prefix,
    asked,
    namer: {
      lookup(path) {
        asked.push(Path.show(path))
        const [svc] = path
        if (svc === 'broken') {
          throw new NamerFailedError(`error naming ${Path.show(Path.concat(prefix, path))}`)
        }
        if (svc === undefined || !services.includes(svc)) return NameTree.Neg
        return NameTree.leaf<Name>(bound(Path.concat(prefix, [svc]), Path.drop(path, 1)))
      },
    },
  }
}
