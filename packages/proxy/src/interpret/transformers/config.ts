// The `interpreter.transformers:` list, in Linkerd 1's shape (linkerd/docs/transformer.md), so a
// Linkerd DaemonSet config ports unchanged. Checked strictly here; the environment the
// localnode transformer needs (POD_IP, NODE_NAME) is read when the proxy starts, not by
// `--check`, which may run where those are not set.
import { Path } from '@switchyard/dtab'
import { z } from 'zod'

/** A Kubernetes name, by the rule Kubernetes checks it with (`k8s.io/apimachinery` validation). */
const K8sName = (what: string, rule: RegExp, ruleText: string) =>
  z
    .string({ error: (i) => (i.input === undefined ? what : `${what}, as text`) })
    .regex(rule, `${what}: ${ruleText}`)
    .max(63, `${what}: at most 63 characters`)

/** Namespaces: an RFC 1123 label. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
/** Services: an RFC 1035 label (a letter first). */
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
/** Service port names: an IANA service name (at most 15, a letter among them, no `--`). */
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const PORT_NUMBER = /^[1-9][0-9]{0,4}$/

const isPortName = (p: string) =>
  p.length <= 15 && PORT_NAME.test(p) && /[a-z]/.test(p) && !p.includes('--')

/** A Service port: its name, or its number (YAML reads `port: 4141` as a number). */
const ServicePort = z
  .union([z.number(), z.string()], {
    error: (i) =>
      i.input === undefined
        ? "the daemonset Service's port, by name (e.g. incoming) or number"
        : "a Service port's name or number",
  })
  .transform(String)
  .superRefine((p, ctx) => {
    const number = PORT_NUMBER.test(p)
    if (number ? Number(p) <= 65535 : isPortName(p)) return
    ctx.addIssue({
      code: 'custom',
      message: `"${p}" is not a Service port: its name (at most 15 lower-case letters, digits and '-') or its number (1 to 65535)`,
    })
  })

/** Linkerd's `prefix` key: the id prefix after `/%`, replacing the kind's default. */
const Prefix = z.string().superRefine((value, ctx) => {
  try {
    if (Path.read(value).length === 0) ctx.addIssue({ code: 'custom', message: 'must not be /' })
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a path: ${(err as Error).message}` })
  }
})

const Host = z
  .string()
  .regex(
    /^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/,
    'a host name or IP address, without scheme or port (e.g. localhost)',
  )

export const DaemonSetTransformerConfig = z.strictObject({
  kind: z.literal('io.l5d.k8s.daemonset'),
  /** The namespace of the daemonset's Service. */
  namespace: K8sName(
    "the namespace of the daemonset's Service",
    DNS1123_LABEL,
    "lower-case letters, digits and '-', starting and ending with a letter or digit",
  ),
  /** The Service whose endpoints are the daemonset's pods (the proxies). */
  service: K8sName(
    "the name of the daemonset's Service",
    DNS1035_LABEL,
    "lower-case letters, digits and '-', starting with a letter and ending with a letter or digit",
  ),
  /** The port of that Service the proxies listen on (e.g. `incoming`). */
  port: ServicePort,
  /**
   * The Kubernetes API as plain HTTP, `kubectl proxy` style (Linkerd: localhost:8001). With
   * neither k8sHost nor k8sPort, the in-cluster service account (or kubeconfig) is used.
   */
  k8sHost: Host.optional(),
  k8sPort: z.int('must be a whole number').min(1).max(65535, 'at most 65535').optional(),
  /** The daemonset's pods use the host's network: match them by node name, not by /24. */
  hostNetwork: z.boolean().default(false),
  prefix: Prefix.optional(),
})
export type DaemonSetTransformerConfig = z.infer<typeof DaemonSetTransformerConfig>

export const LocalNodeTransformerConfig = z.strictObject({
  kind: z.literal('io.l5d.k8s.localnode'),
  /** This proxy uses the host's network: keep endpoints by NODE_NAME, not by POD_IP's /24. */
  hostNetwork: z.boolean().default(false),
  prefix: Prefix.optional(),
})
export type LocalNodeTransformerConfig = z.infer<typeof LocalNodeTransformerConfig>

const KINDS = ['io.l5d.k8s.daemonset', 'io.l5d.k8s.localnode'] as const

export const TransformerConfig = z.discriminatedUnion(
  'kind',
  [DaemonSetTransformerConfig, LocalNodeTransformerConfig],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unknown transformer kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind)}; known kinds: ${KINDS.join(', ')} (Linkerd's others are not supported)`
        : undefined,
  },
)
export type TransformerConfig = z.infer<typeof TransformerConfig>

export const TransformersConfig = z.array(TransformerConfig)
