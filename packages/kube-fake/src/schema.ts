// The part of a CRD's structural openAPIV3Schema that pruning reads. Everything else in a schema
// (types, formats, validation keywords) is accepted and ignored: the fake does not validate values.
import { z } from 'zod'

export interface SchemaNode {
  readonly type?: string | undefined
  readonly properties?: Readonly<Record<string, SchemaNode>> | undefined
  readonly items?: SchemaNode | undefined
  readonly additionalProperties?: boolean | SchemaNode | undefined
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean | undefined
  readonly 'x-kubernetes-embedded-resource'?: boolean | undefined
}

export const SchemaNodeSchema: z.ZodType<SchemaNode> = z.lazy(() =>
  z.looseObject({
    type: z.string().optional(),
    properties: z.record(z.string(), SchemaNodeSchema).optional(),
    items: SchemaNodeSchema.optional(),
    additionalProperties: z.union([z.boolean(), SchemaNodeSchema]).optional(),
    'x-kubernetes-preserve-unknown-fields': z.boolean().optional(),
    'x-kubernetes-embedded-resource': z.boolean().optional(),
  }),
)
