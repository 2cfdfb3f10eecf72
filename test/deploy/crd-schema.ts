// Custom resources (a DTab) checked as the API server would check them against their CRD's
// structural schema: the types it declares, and the fields it would prune. Pruning is silent
// (a Warning header at most), so a field the schema does not declare is an error here: the
// object would lose it on the cluster (kubernetes-api.md §5). Only the schema keywords our
// CRDs use are understood; any other keyword is reported, not skipped.
import type { KubeObject } from './kustomize.js'

interface Schema {
  readonly type?: string
  readonly properties?: Readonly<Record<string, Schema>>
  readonly items?: Schema
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean
}

const KNOWN = new Set([
  'type',
  'properties',
  'items',
  'description',
  'x-kubernetes-preserve-unknown-fields',
])

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

function check(value: unknown, schema: unknown, path: string, problems: string[]): void {
  if (!isRecord(schema)) {
    problems.push(`${path}: the schema here is not an object`)
    return
  }
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key)) problems.push(`${path}: schema keyword ${key} is not understood here`)
  }
  const s = schema as Schema
  const actual = typeOf(value)
  if (s.type !== undefined && s.type !== actual && !(s.type === 'number' && actual === 'integer')) {
    problems.push(`${path}: must be ${s.type}, is ${actual}`)
    return
  }
  if (Array.isArray(value) && s.items !== undefined) {
    value.forEach((item, i) => {
      check(item, s.items, `${path}[${i}]`, problems)
    })
  }
  if (isRecord(value)) {
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true
    for (const [key, v] of Object.entries(value)) {
      const sub = s.properties?.[key]
      if (sub !== undefined) check(v, sub, `${path}.${key}`, problems)
      else if (!preserve) {
        problems.push(`${path}.${key}: not in the CRD's schema: the API server would prune it`)
      }
    }
  }
}

/** `{group, kind}` → the CRD's served versions' schemas, from CRD objects. */
export class CrdSchemas {
  private readonly byKind = new Map<string, unknown>()

  constructor(crds: readonly KubeObject[]) {
    for (const crd of crds) {
      if (crd.kind !== 'CustomResourceDefinition') continue
      const spec = crd.spec
      if (!isRecord(spec) || !isRecord(spec.names) || !Array.isArray(spec.versions)) continue
      for (const version of spec.versions) {
        if (!isRecord(version) || version.served !== true || !isRecord(version.schema)) continue
        const key = `${String(spec.group)}/${String(version.name)}/${String(spec.names.kind)}`
        this.byKind.set(key, version.schema.openAPIV3Schema)
      }
    }
  }

  /** True when some CRD here defines the object's apiVersion and kind. */
  defines(o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
    return this.byKind.has(`${o.apiVersion}/${o.kind}`)
  }

  /** The problems of `o` against its CRD's schema (empty when it would be stored intact). */
  validate(o: KubeObject): string[] {
    const schema = this.byKind.get(`${o.apiVersion}/${o.kind}`)
    if (schema === undefined) return [`no CRD defines ${o.apiVersion} ${o.kind}`]
    const problems: string[] = []
    // apiVersion, kind and metadata are the API server's own, whatever the schema says.
    const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = o
    const root = isRecord(schema) ? { ...schema } : schema
    if (isRecord(root) && isRecord(root.properties)) {
      const { apiVersion: _pa, kind: _pk, metadata: _pm, ...props } = root.properties
      root.properties = props
    }
    check(rest, root, o.kind, problems)
    return problems
  }
}
