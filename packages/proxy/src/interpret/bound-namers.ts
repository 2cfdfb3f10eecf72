// The namers the router binds with. Binding is done once per route and cached, so it must not
// depend on what exists right now: every name under a namer's prefix binds, and whether it
// exists is its addr (Neg while absent), which routes watch live.
import { bound, type MountedNamer, NameTree, Path } from '@switchyard/dtab'
import type { MountedAddrNamer } from '@switchyard/namers'

const HASH: Path = ['#']

/**
 * namerd's configured namers: any `/#/...` path is bound as a whole, with an empty residual,
 * because namerd's addr endpoint maps the full id through its own namers (we cannot know where
 * its namer's part of the path ends).
 */
export const namerdHashNamer: MountedNamer = {
  prefix: HASH,
  namer: {
    lookup(rest) {
      return rest.length === 0 ? NameTree.Neg : NameTree.leaf(bound(Path.concat(HASH, rest)))
    },
  },
}

/**
 * A local namer (io.l5d.fs) that binds `/<name>/rest` to `/#/<prefix>/<name>` with residual
 * `/rest` even while the name is absent (its addr is Neg then, and fills in when it appears).
 */
export function alwaysBound(mounted: MountedAddrNamer): MountedNamer {
  const { prefix, namer } = mounted
  // A namer whose ids are longer than one element (io.l5d.k8s) binds by shape itself.
  const byShape = namer.lookupByShape?.bind(namer)
  if (byShape !== undefined) return { prefix, namer: { lookup: byShape } }
  return {
    prefix,
    namer: {
      lookup(path) {
        const t = namer.lookup(path)
        if (t.type !== 'neg' || path.length === 0) return t
        return NameTree.leaf(bound(Path.concat(prefix, [path[0]!]), Path.drop(path, 1)))
      },
    },
  }
}
