// The JSON namerd answers with, checked at the boundary. The schemas are namerd's API, defined
// once in @switchyard/wire (namerd writes them); namerctl does not import @switchyard/namerd,
// whose server dependencies would follow it into the standalone CLI (docs/decisions.md §6).
import { type AddrJson, DtabJson } from '@switchyard/wire'
import { z } from 'zod'

export {
  DelegateNode,
  DentryJson,
  DtabJson,
  ErrorBody,
  History,
  HistoryEntry,
  NamespaceList,
  ProxyConfirmation,
  ProxyStatus,
  Watcher,
  Watchers,
} from '@switchyard/wire'

/** An Addr as namerctl reads it (`meta` filled in). */
export type Addr = z.output<typeof AddrJson>

/** namerctl's `--json` form: what `get` prints and `create`/`update` read. */
export const VersionedDtab = z.object({
  version: z.string().optional(),
  dtab: DtabJson,
})
export type VersionedDtab = z.infer<typeof VersionedDtab>
