// A delegation tree in namerd's JSON (`GET /api/1/delegate`, docs/dtab.md "Delegation trees"):
// @switchyard/dtab writes it (delegateTreeJson), namerctl and `pnpm explain` draw it.
import { z } from 'zod'
import { AddrJson } from './addr.js'
import { DentryJson } from './dtab-json.js'

const Bound = z.object({ addr: AddrJson.optional(), id: z.string(), path: z.string() })
export type BoundJson = z.infer<typeof Bound>

/** A node of a delegation tree. */
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
  | { readonly type: 'leaf'; readonly bound: BoundJson }
  | {
      readonly type: 'transformation'
      readonly name?: string | undefined
      readonly bound?: BoundJson | undefined
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
