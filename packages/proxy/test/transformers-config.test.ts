// The `interpreter.transformers:` section as an operator writes it: Linkerd's keys and defaults,
// on both interpreter kinds, and a located message for each mistake.
import { parseYamlConfig } from '@switchyard/config'
import { Path } from '@switchyard/dtab'
import t from 'tap'
import { ProxyConfig } from '../src/config/schema.js'
import { makeTransformers } from '../src/interpret/index.js'

function load(interpreter: string): ProxyConfig {
  return parseYamlConfig(
    'proxy.yaml',
    `routers:\n  - servers: [{port: 4140}]\n    interpreter: ${interpreter}\n`,
    ProxyConfig,
  )
}

function problems(interpreter: string): string {
  try {
    load(interpreter)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('the config was accepted')
}

const NAMERD = 'kind: namerd, dst: "http://127.0.0.1:4180"'

t.test("Linkerd's DaemonSet config is accepted as it is, with Linkerd's defaults", async (t) => {
  // linkerd-examples' outgoing and incoming routers (namerd-wire.md §7).
  const outgoing = load(
    `{${NAMERD}, namespace: internal, transformers: [{kind: io.l5d.k8s.daemonset, namespace: default, port: incoming, service: l5d}]}`,
  ).routers[0]!.interpreter
  t.same(outgoing && 'transformers' in outgoing && outgoing.transformers, [
    {
      kind: 'io.l5d.k8s.daemonset',
      namespace: 'default',
      port: 'incoming',
      service: 'l5d',
      hostNetwork: false,
    },
  ])
  const incoming = load(`{${NAMERD}, transformers: [{kind: io.l5d.k8s.localnode}]}`).routers[0]!
    .interpreter
  t.same(incoming && 'transformers' in incoming && incoming.transformers, [
    { kind: 'io.l5d.k8s.localnode', hostNetwork: false },
  ])
  const local = load(
    '{kind: local, dtab: "/svc=>/$/inet/127.0.0.1/1", transformers: [{kind: io.l5d.k8s.localnode, hostNetwork: true}, {kind: io.l5d.k8s.daemonset, namespace: linkerd, service: l5d, port: 4141, k8sHost: localhost, k8sPort: 8001, hostNetwork: true}]}',
  ).routers[0]!.interpreter
  t.same(local && 'transformers' in local && local.transformers?.map((c) => c.kind), [
    'io.l5d.k8s.localnode',
    'io.l5d.k8s.daemonset',
  ])
  const ds = local && 'transformers' in local ? local.transformers?.[1] : undefined
  t.equal(ds?.kind === 'io.l5d.k8s.daemonset' && ds.port, '4141', 'a numeric port is kept as text')
})

t.test('each mistake is reported at its key', async (t) => {
  t.equal(
    problems(
      `{${NAMERD}, transformers: [{kind: io.l5d.k8s.daemonset, namespace: default, port: incoming}]}`,
    ),
    "proxy.yaml:3:78: routers[0].interpreter.transformers[0].service: required: the name of the daemonset's Service",
  )
  t.match(
    problems(`{${NAMERD}, transformers: [{kind: io.l5d.localhost}]}`),
    /transformers\[0\]\.kind: unknown transformer kind "io\.l5d\.localhost"; known kinds: io\.l5d\.k8s\.daemonset, io\.l5d\.k8s\.localnode/,
  )
  const many = problems(
    `{${NAMERD}, transformers: [{kind: io.l5d.k8s.daemonset, namespace: Default, service: l5d, port: Incoming, k8sPort: 99999, k8sHost: "http://x", podIp: 1}]}`,
  )
  t.match(
    many,
    /transformers\[0\]\.namespace: the namespace of the daemonset's Service: lower-case/,
  )
  t.match(many, /transformers\[0\]\.port: "Incoming" is not a Service port/)
  t.match(many, /transformers\[0\]\.k8sPort: at most 65535/)
  t.match(many, /transformers\[0\]\.k8sHost: a host name or IP address, without scheme or port/)
  t.match(many, /transformers\[0\]: unknown key "podIp"/)
  t.match(
    problems(
      `{${NAMERD}, transformers: [{kind: io.l5d.k8s.daemonset, namespace: default, service: 4l5d, port: incoming}]}`,
    ),
    /transformers\[0\]\.service: the name of the daemonset's Service: .*starting with a letter/,
    'a Service name starts with a letter (RFC 1035)',
  )
  t.match(
    problems('{kind: local, transformers: [{kind: io.l5d.k8s.localnode, hostNetwork: "yes"}]}'),
    /routers\[0\]\.interpreter\.transformers\[0\]\.hostNetwork: /,
  )
  t.match(
    problems(`{${NAMERD}, transformers: {kind: io.l5d.k8s.localnode}}`),
    /routers\[0\]\.interpreter\.transformers: .*array/,
    'a list, as Linkerd',
  )
  for (const port of ['0', '65536', '007', 'a_b', '-x', 'a--b', 'much-too-long-name']) {
    t.match(
      problems(
        `{${NAMERD}, transformers: [{kind: io.l5d.k8s.daemonset, namespace: default, service: l5d, port: "${port}"}]}`,
      ),
      /is not a Service port/,
      `port "${port}"`,
    )
  }
})

t.test('the ids: Linkerd’s prefixes, or the `prefix` key under /%', async (t) => {
  const [ds, ln, custom, lnCustom] = makeTransformers(
    [
      {
        kind: 'io.l5d.k8s.daemonset',
        namespace: 'default',
        service: 'l5d',
        port: 'incoming',
        hostNetwork: false,
      },
      { kind: 'io.l5d.k8s.localnode', hostNetwork: true },
      {
        kind: 'io.l5d.k8s.daemonset',
        namespace: 'default',
        service: 'l5d',
        port: '4141',
        hostNetwork: false,
        prefix: '/ds',
      },
      { kind: 'io.l5d.k8s.localnode', hostNetwork: false, prefix: '/here' },
    ],
    { env: { NODE_NAME: 'node-a', POD_IP: '10.1.2.3' } },
  )
  t.equal(Path.show(ds!.prefix), '/%/io.l5d.k8s.daemonset/default/incoming/l5d')
  t.equal(Path.show(ln!.prefix), '/%/io.l5d.k8s.localnode/node-a')
  t.equal(Path.show(custom!.prefix), '/%/ds')
  t.equal(Path.show(lnCustom!.prefix), '/%/here/10.1.2.3', 'the node is still added')
})
