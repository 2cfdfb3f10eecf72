// The JSON namerd answers with, checked at the boundary. Defined here, not imported from
// @switchyard/namerd: the CLI knows namerd only by its HTTP API (docs/namerd.md).
import { z } from 'zod'

export const NamespaceList = z.array(z.string())

export const DentryJson = z.object({ prefix: z.string(), dst: z.string() })
export type DentryJson = z.infer<typeof DentryJson>
export const DtabJson = z.array(DentryJson)

/** namerctl's `--json` form: what `get` prints and `create`/`update` read. */
export const VersionedDtab = z.object({
  version: z.string().optional(),
  dtab: DtabJson,
})
export type VersionedDtab = z.infer<typeof VersionedDtab>

/** The JSON body of namerd's errors where Linkerd's namerd sent none. */
export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  offset: z.number().optional(),
})

export const HistoryEntry = z.object({
  version: z.string(),
  previous: z.string().nullable(),
  time: z.string(),
  who: z.string().nullable(),
  op: z.enum(['create', 'put', 'update', 'delete']),
  dtab: z.string().nullable(),
})
export type HistoryEntry = z.infer<typeof HistoryEntry>
export const History = z.array(HistoryEntry)

export const Watcher = z.object({
  id: z.string().nullable(),
  stream: z.number(),
  kind: z.string(),
  path: z.string(),
  remote: z.string(),
  since: z.string(),
  version: z.string().nullable(),
  sentAt: z.string().nullable(),
  current: z.boolean(),
  sent: z.number(),
  dropped: z.number(),
  bufferedBytes: z.number(),
})
export type Watcher = z.infer<typeof Watcher>

export const Watchers = z.object({
  namespace: z.string(),
  version: z.string().nullable(),
  watchers: z.array(Watcher),
})
export type Watchers = z.infer<typeof Watchers>

const AddrEntry = z.object({
  ip: z.string(),
  port: z.number(),
  meta: z.record(z.string(), z.unknown()).optional(),
})

export const Addr = z.union([
  z.object({
    type: z.literal('bound'),
    addrs: z.array(AddrEntry),
    meta: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({ type: z.literal('neg') }),
  z.object({ type: z.literal('pending') }),
  z.object({ type: z.literal('failed'), cause: z.string().optional() }),
])
export type Addr = z.infer<typeof Addr>

const Bound = z.object({ addr: Addr.optional(), id: z.string(), path: z.string() })

/** A node of a delegation tree (docs/dtab.md, "Delegation trees"). */
export type DelegateNode = {
  readonly path: string
  readonly dentry?: DentryJson | undefined
} & (
  | { readonly type: 'delegate'; readonly delegate: DelegateNode }
  | { readonly type: 'alt'; readonly alt: readonly DelegateNode[] }
  | {
      readonly type: 'union'
      readonly union: readonly { readonly weight: number; readonly tree: DelegateNode }[]
    }
  | { readonly type: 'leaf'; readonly bound: z.infer<typeof Bound> }
  | {
      readonly type: 'transformation'
      readonly name?: string | undefined
      readonly bound?: z.infer<typeof Bound> | undefined
      readonly tree: DelegateNode
    }
  | { readonly type: 'neg' }
  | { readonly type: 'fail' }
  | { readonly type: 'empty' }
  | { readonly type: 'exception'; readonly message: string }
)

const head = { path: z.string(), dentry: DentryJson.optional() }

export const DelegateNode: z.ZodType<DelegateNode> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ ...head, type: z.literal('delegate'), delegate: DelegateNode }),
    z.object({ ...head, type: z.literal('alt'), alt: z.array(DelegateNode) }),
    z.object({
      ...head,
      type: z.literal('union'),
      union: z.array(z.object({ weight: z.number(), tree: DelegateNode })),
    }),
    z.object({ ...head, type: z.literal('leaf'), bound: Bound }),
    z.object({
      ...head,
      type: z.literal('transformation'),
      name: z.string().optional(),
      bound: Bound.optional(),
      tree: DelegateNode,
    }),
    z.object({ ...head, type: z.literal('neg') }),
    z.object({ ...head, type: z.literal('fail') }),
    z.object({ ...head, type: z.literal('empty') }),
    z.object({ ...head, type: z.literal('exception'), message: z.string() }),
  ]),
)
