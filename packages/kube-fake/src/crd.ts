// An apiextensions.k8s.io/v1 CustomResourceDefinition, parsed at the boundary (a test's object or
// a deploy/crd YAML file), and the resource types it serves: one per served version.
import { z } from 'zod'
import type { ResourceType } from './resource-type.js'
import { SchemaNodeSchema } from './schema.js'

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/

export const CrdSchema = z.object({
  apiVersion: z.literal('apiextensions.k8s.io/v1'),
  kind: z.literal('CustomResourceDefinition'),
  metadata: z.looseObject({ name: z.string() }),
  spec: z.looseObject({
    group: z.string().min(1),
    scope: z.enum(['Namespaced', 'Cluster']),
    names: z.looseObject({
      plural: z.string().regex(DNS_LABEL),
      singular: z.string().optional(),
      kind: z.string().min(1),
      listKind: z.string().optional(),
    }),
    versions: z
      .array(
        z.looseObject({
          name: z.string().min(1),
          served: z.boolean(),
          storage: z.boolean(),
          schema: z.looseObject({ openAPIV3Schema: SchemaNodeSchema }).optional(),
        }),
      )
      .min(1),
  }),
})
export type Crd = z.infer<typeof CrdSchema>

export class CrdError extends Error {
  readonly code = 'invalid_crd'
  constructor(message: string) {
    super(message)
    this.name = 'CrdError'
  }
}

/** Parses a CRD object; the name must be `<plural>.<group>` as the real server requires. */
export function parseCrd(input: unknown): Crd {
  const parsed = CrdSchema.safeParse(input)
  if (!parsed.success) {
    throw new CrdError(
      `not an apiextensions.k8s.io/v1 CustomResourceDefinition the fake can serve: ${z.prettifyError(parsed.error)}`,
    )
  }
  const crd = parsed.data
  const expected = `${crd.spec.names.plural}.${crd.spec.group}`
  if (crd.metadata.name !== expected) {
    throw new CrdError(
      `CRD name ${crd.metadata.name} must be <plural>.<group> (${expected}), as the API server requires`,
    )
  }
  return crd
}

export function crdResourceTypes(crd: Crd): ResourceType[] {
  const { group, names, scope } = crd.spec
  return crd.spec.versions
    .filter((v) => v.served)
    .map((v) => ({
      group,
      version: v.name,
      plural: names.plural,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      namespaced: scope === 'Namespaced',
      custom: true,
      schema: v.schema?.openAPIV3Schema,
      generation: true,
      nameRule: 'subdomain' as const,
      deleteReturnsObject: false,
    }))
}
