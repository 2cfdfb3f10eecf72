// On the Kubernetes store a dtab namespace is a DTab's metadata.name, and custom resource names
// must be lowercase RFC 1123 subdomains (the API server's NameIsDNSSubdomain; `Internal` is a
// 422). The rule is narrower than the default one, and says so in its errors, before any call.
import type { NamespaceRule } from './namespace.js'

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export const K8S_NAMESPACE_RULE: NamespaceRule = {
  text:
    'on the Kubernetes store a namespace is a Kubernetes object name (a lowercase RFC 1123 ' +
    "subdomain): 1 to 253 characters, lowercase letters, digits, '-' and '.', each " +
    "'.'-separated part starting and ending with a letter or digit",
  test: (namespace) => namespace.length <= 253 && SUBDOMAIN.test(namespace),
}
