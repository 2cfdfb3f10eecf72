// An Addr (what a bound name resolves to) in namerd's JSON, as its `addr` API and bind leaves
// write it (docs/namerd.md). @switchyard/namers writes it byte for byte (Addr.toJson); the
// proxy reads it from namerd's addr watches, namerctl from delegation trees.
import { z } from 'zod'

/** The metadata key for an endpoint's weight (Finagle's `WeightedAddress`). */
export const WEIGHT_KEY = 'endpoint_addr_weight'

const EndpointMetaJson = z.looseObject({ [WEIGHT_KEY]: z.number().optional() })

const EndpointJson = z.object({
  ip: z.string().min(1),
  port: z.int().min(0).max(65535),
  meta: EndpointMetaJson.default({}),
})

/** The JSON wire form of an Addr; `meta` may be absent on input and is always written. */
export const AddrJson = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('bound'),
    addrs: z.array(EndpointJson),
    meta: z.looseObject({}).default({}),
  }),
  z.object({ type: z.literal('neg') }),
  z.object({ type: z.literal('pending') }),
  z.object({ type: z.literal('failed'), cause: z.string() }),
])
/** The form a writer gives (`meta` optional); `z.output<typeof AddrJson>` is what a reader gets. */
export type AddrJson = z.input<typeof AddrJson>
