// Every built-in kind deploy/ uses, checked against the Kubernetes API's own OpenAPI schemas as
// kubernetes-models compiles them: each object is constructed with its kind's class and
// validated. A kind missing here fails the test (add its module), so nothing goes unchecked.
import * as apiextensionsV1 from 'kubernetes-models/apiextensions.k8s.io/v1'
import * as appsV1 from 'kubernetes-models/apps/v1'
import * as batchV1 from 'kubernetes-models/batch/v1'
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1'
import * as policyV1 from 'kubernetes-models/policy/v1'
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import * as coreV1 from 'kubernetes-models/v1'
import type { KubeObject } from './kustomize.js'

type ModelClass = (new (
  data: Record<string, unknown>,
) => { validate(): void }) & {
  readonly apiVersion: string
  readonly kind: string
}

function isModelClass(v: unknown): v is ModelClass {
  return (
    typeof v === 'function' &&
    typeof (v as { apiVersion?: unknown }).apiVersion === 'string' &&
    typeof (v as { kind?: unknown }).kind === 'string'
  )
}

const CLASSES = new Map<string, ModelClass>()
for (const mod of [coreV1, appsV1, batchV1, rbacV1, policyV1, networkingV1, apiextensionsV1]) {
  for (const exported of Object.values(mod)) {
    if (isModelClass(exported)) CLASSES.set(`${exported.apiVersion}/${exported.kind}`, exported)
  }
}

/** The class for an object's apiVersion and kind, or undefined for a kind not listed here. */
export function modelClass(o: Pick<KubeObject, 'apiVersion' | 'kind'>): ModelClass | undefined {
  return CLASSES.get(`${o.apiVersion}/${o.kind}`)
}

/**
 * Validates `o` against its kind's schema; returns the problems (empty when valid). The error
 * kubernetes-models throws lists each failing path and rule.
 */
export function validateBuiltIn(o: KubeObject): string[] {
  const cls = modelClass(o)
  if (cls === undefined) return [`no schema for ${o.apiVersion} ${o.kind}: add its module`]
  const { apiVersion: _a, kind: _k, ...data } = o
  try {
    new cls(data).validate()
    return []
  } catch (err) {
    return [(err as Error).message]
  }
}
