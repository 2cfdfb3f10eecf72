// The io.l5d.k8s name, `/<namespace>/<port>/<service>[/<label value>]/residual`, read as
// Linkerd's MultiNsNamer reads it (segments lowercased), and checked against Kubernetes' own
// name rules, so a name that cannot exist is Neg without a call to the API server.
import type { Path } from '@switchyard/dtab'

/** The port segment: a Service port's name, or a Service port's number. */
export type PortRef =
  | { readonly type: 'name'; readonly name: string }
  | { readonly type: 'number'; readonly number: number }

export interface K8sName {
  readonly namespace: string
  readonly port: PortRef
  readonly service: string
  /** The value for the configured labelSelector key, when one is configured. */
  readonly labelValue?: string
  /** The lowercased segments the bound id is made of (after the namer's prefix). */
  readonly id: Path
  readonly residual: Path
}

// RFC 1123 label (namespaces), RFC 1035 label (Service names), IANA service name (port
// names), label value: k8s.io/apimachinery/pkg/util/validation.
const DNS1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/
const DNS1035_LABEL = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/
const IANA_SVC_NAME = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/
const LABEL_VALUE = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const LABEL_NAME = LABEL_VALUE
const DNS1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/
const DIGITS = /^[0-9]{1,5}$/

export const isNamespaceName = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s)
export const isServiceName = (s: string): boolean => s.length <= 63 && DNS1035_LABEL.test(s)
export const isLabelValue = (s: string): boolean => s.length <= 63 && LABEL_VALUE.test(s)

/** A Service port name: at most 15 characters, a letter among them, no `--`. */
export function isPortName(s: string): boolean {
  return s.length <= 15 && IANA_SVC_NAME.test(s) && /[a-z]/.test(s) && !s.includes('--')
}

/** A label key, `[prefix/]name` (metav1 qualified name), as the labelSelector config gives it. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/')
  const prefix = slash < 0 ? undefined : key.slice(0, slash)
  const name = slash < 0 ? key : key.slice(slash + 1)
  if (prefix !== undefined && !(prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix))) {
    return `the prefix "${prefix}" is not a DNS subdomain (lowercase letters, digits, '-' and '.')`
  }
  if (!(name.length >= 1 && name.length <= 63 && LABEL_NAME.test(name))) {
    return `"${name}" is not a label name (at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit)`
  }
  return undefined
}

/** Java's toLowerCase on the segment, for the ASCII every valid name is made of. */
const lower = (elem: string): string => elem.replace(/[A-Z]+/g, (s) => s.toLowerCase())

function portRef(segment: string): PortRef | undefined {
  if (DIGITS.test(segment)) {
    const number = Number(segment)
    return number >= 1 && number <= 65535 ? { type: 'number', number } : undefined
  }
  return isPortName(segment) ? { type: 'name', name: segment } : undefined
}

/**
 * Reads `path` (the part after the namer's prefix). Undefined when it is too short (a missing
 * label value included, as in Linkerd) or names something Kubernetes could not hold.
 */
export function parseK8sName(path: Path, labelled: boolean): K8sName | undefined {
  const length = labelled ? 4 : 3
  if (path.length < length) return undefined
  const id = path.slice(0, length).map(lower)
  const [namespace, portSegment, service, labelValue] = id as [string, string, string, string?]
  if (!isNamespaceName(namespace) || !isServiceName(service)) return undefined
  const port = portRef(portSegment)
  if (port === undefined) return undefined
  if (labelValue !== undefined && !isLabelValue(labelValue)) return undefined
  const name = { namespace, port, service, id, residual: path.slice(length) }
  return labelValue === undefined ? name : { ...name, labelValue }
}
