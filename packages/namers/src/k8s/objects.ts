// The parts of EndpointSlice (discovery.k8s.io/v1) and Service (v1) the namer reads, checked
// with zod: the API server's JSON is a boundary. Unknown fields pass; a field of the wrong type
// fails the object, which then counts for nothing (a slice) or fails the name (a Service).
import { z } from 'zod'

const Name = z.string().min(1)
/** Go's omitempty and nil pointers arrive as an absent key or as null. */
const opt = <T extends z.ZodType>(t: T) => t.nullish()

export const SliceEndpoint = z.looseObject({
  addresses: z.array(z.string()),
  // Pointers: nil ready means ready (discovery/v1 EndpointConditions).
  conditions: opt(z.looseObject({ ready: opt(z.boolean()) })),
  nodeName: opt(z.string()),
  zone: opt(z.string()),
})
export type SliceEndpoint = z.infer<typeof SliceEndpoint>

export const SlicePort = z.looseObject({
  name: opt(z.string()),
  port: opt(z.int()),
  protocol: opt(z.string()),
})

export const EndpointSlice = z.looseObject({
  metadata: z.looseObject({ name: Name }),
  addressType: z.string(),
  endpoints: opt(z.array(SliceEndpoint)),
  ports: opt(z.array(SlicePort)),
})
export type EndpointSlice = z.infer<typeof EndpointSlice>

export const ServicePort = z.looseObject({
  name: opt(z.string()),
  port: z.int(),
  protocol: opt(z.string()),
  targetPort: opt(z.union([z.int(), z.string()])),
})

export const Service = z.looseObject({
  metadata: z.looseObject({ name: Name }),
  spec: opt(
    z.looseObject({
      ports: opt(z.array(ServicePort)),
      ipFamilies: opt(z.array(z.string())),
    }),
  ),
})
export type Service = z.infer<typeof Service>
