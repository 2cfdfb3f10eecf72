import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError, loadYamlConfig, parseYamlConfig } from '@switchyard/config'
import t from 'tap'
import { ProxyConfig } from '../src/config/schema.js'
import { tempDir } from './interpret-helpers.js'

/** The ConfigError's message for `yaml`, or a failure when it parses. */
function refusal(t: Asserts, yaml: string): string {
  try {
    parseYamlConfig('proxy.yaml', yaml, ProxyConfig)
  } catch (err) {
    t.type(err, ConfigError)
    return (err as Error).message
  }
  t.fail('the config was accepted')
  return ''
}
interface Asserts {
  type(value: unknown, klass: typeof ConfigError): unknown
  fail(message: string): unknown
}

t.test('a minimal config gets Linkerd defaults', async (t) => {
  const c = parseYamlConfig(
    'proxy.yaml',
    'routers:\n  - servers: [{port: 4140}]\n    dtab: /svc => /$/inet/127.0.0.1/8080\n',
    ProxyConfig,
  )
  t.same(c.admin, { ip: '127.0.0.1', port: 9990 })
  t.same(c.namers, [])
  t.equal(c.log.level, 'info')
  const r = c.routers[0]!
  t.equal(r.protocol, 'http')
  t.equal(r.label, undefined, 'the label defaults to the protocol where it is used')
  t.equal(r.dstPrefix, '/svc')
  t.equal(r.timeoutMs, 10_000)
  t.equal(r.maxCallDepth, 1000)
  t.same(r.servers, [{ ip: '127.0.0.1', port: 4140, clearContext: false }])
  t.same(r.client, {
    failureAccrual: {
      kind: 'io.l5d.consecutiveFailures',
      failures: 5,
      backoff: { kind: 'jittered', minMs: 5000, maxMs: 300_000 },
    },
    connectTimeoutMs: 3000,
    maxConnectionsPerEndpoint: 256,
  })
  t.same(r.service.retries, {
    budget: { ttlSecs: 10, minRetriesPerSec: 10, percentCanRetry: 0.2 },
    maxRetries: 2,
  })
})

t.test('a namerd interpreter gets the default namespace and backoff', async (t) => {
  const c = parseYamlConfig(
    'proxy.yaml',
    'routers:\n  - servers: [{port: 4140}]\n    interpreter: {kind: io.l5d.namerd.http, dst: "http://127.0.0.1:4180", experimental: true}\n',
    ProxyConfig,
  )
  t.same(c.routers[0]!.interpreter, {
    kind: 'io.l5d.namerd.http',
    dst: 'http://127.0.0.1:4180',
    namespace: 'default',
    retry: { baseSeconds: 5, maxSeconds: 600 },
    experimental: true,
  })
})

t.test('an unknown key is refused at its own line and column, with the nearest key', async (t) => {
  const msg = refusal(t, 'routers:\n  - servers: [{port: 4140}]\n    timeout: 5\n')
  t.equal(msg, 'proxy.yaml:3:5: routers[0]: unknown key "timeout"; did you mean "timeoutMs"?')
  const far = refusal(t, 'routers:\n  - servers: [{port: 4140}]\n    colour: red\n')
  t.equal(far, 'proxy.yaml:3:5: routers[0]: unknown key "colour"', 'nothing near: no guess')
})

t.test('advertiseAdmin under a namerd interpreter is refused with where it belongs', async (t) => {
  const msg = refusal(
    t,
    'routers:\n  - servers: [{port: 4140}]\n    interpreter:\n      kind: io.l5d.namerd.http\n      dst: http://127.0.0.1:4180\n      advertiseAdmin: 10.1.2.3:9990\n',
  )
  t.match(
    msg,
    /^proxy\.yaml:6:\d+: routers\[0\]\.interpreter\.advertiseAdmin: advertiseAdmin is not an interpreter key/,
  )
  t.match(
    msg,
    'at the top level of the config beside admin: and routers:, as namerd: {advertiseAdmin: <ip:port>}',
  )
  const c = parseYamlConfig(
    'proxy.yaml',
    'namerd: {advertiseAdmin: "10.1.2.3:9990"}\nrouters:\n  - servers: [{port: 4140}]\n    interpreter: {kind: io.l5d.namerd.http, dst: "http://127.0.0.1:4180"}\n',
    ProxyConfig,
  )
  t.same(c.namerd, { advertiseAdmin: '10.1.2.3:9990' }, 'where it belongs, it is taken')
})

t.test('a bad port is refused where it is', async (t) => {
  const msg = refusal(t, 'routers:\n  - servers:\n      - port: 70000\n')
  t.equal(msg, 'proxy.yaml:3:15: routers[0].servers[0].port: at most 65535')
  const text = refusal(t, 'routers:\n  - servers:\n      - port: http\n')
  t.match(text, /^proxy\.yaml:3:15: routers\[0\]\.servers\[0\]\.port: /)
})

t.test('two routers with one label are refused', async (t) => {
  const msg = refusal(
    t,
    'routers:\n  - label: out\n    servers: [{port: 1}]\n  - label: out\n    servers: [{port: 2}]\n',
  )
  t.equal(
    msg,
    'proxy.yaml:4:12: routers[1].label: label "out" is already used by routers[0]; give each router its own label',
  )
  const unlabelled = refusal(t, 'routers:\n  - servers: [{port: 1}]\n  - servers: [{port: 2}]\n')
  t.match(unlabelled, 'label "http" is already used by routers[0]')
})

t.test('a router dtab beside a namerd interpreter is refused', async (t) => {
  const msg = refusal(
    t,
    'routers:\n  - servers: [{port: 1}]\n    dtab: /svc => /x\n    interpreter: {kind: namerd, dst: "http://127.0.0.1:4180"}\n',
  )
  t.equal(
    msg,
    'proxy.yaml:3:11: routers[0].dtab: a namerd interpreter takes its dtab from namerd; remove dtab or use kind: local',
  )
})

t.test('a dtab that does not parse is refused by --check, with its key and offset', async (t) => {
  const router = refusal(t, 'routers:\n  - servers: [{port: 1}]\n    dtab: /svc =>> /x\n')
  t.match(router, /^proxy\.yaml:3:11: routers\[0\]\.dtab: .*cannot parse dtab at offset 7/)
  const local = refusal(
    t,
    'routers:\n  - servers: [{port: 1}]\n    interpreter: {kind: local, dtab: "/a=>/b;/c=>"}\n',
  )
  t.match(local, /^proxy\.yaml:3:\d+: routers\[0\]\.interpreter\.dtab: .*offset 11/)
})

t.test('retry budget and backoff settings the proxy cannot honour are refused', async (t) => {
  const base = 'routers:\n  - servers: [{port: 1}]\n'
  t.match(
    refusal(t, `${base}    service: {retries: {budget: {ttlSecs: 120}}}\n`),
    'routers[0].service.retries.budget.ttlSecs: at most 60',
  )
  t.match(
    refusal(t, `${base}    service: {retries: {budget: {ttlSecs: 0.5}}}\n`),
    'routers[0].service.retries.budget.ttlSecs: at least 1',
  )
  t.match(
    refusal(
      t,
      `${base}    client: {failureAccrual: {backoff: {kind: jittered, minMs: 500, maxMs: 100}}}\n`,
    ),
    'routers[0].client.failureAccrual.backoff.minMs: minMs must not be more than maxMs',
  )
  t.match(
    refusal(
      t,
      `${base}    interpreter: {kind: namerd, dst: "http://127.0.0.1:4180", retry: {baseSeconds: 100, maxSeconds: 2}}\n`,
    ),
    'routers[0].interpreter.retry.baseSeconds: baseSeconds must not be more than maxSeconds',
  )
})

t.test(
  'a missing required key says so, and an unknown identifier kind lists the known ones',
  async (t) => {
    t.match(
      refusal(t, 'admin: {port: 9990}\n'),
      /^proxy\.yaml:1:1: routers: required: expected array$/,
    )
    t.match(
      refusal(t, 'routers:\n  - servers: [{ip: 127.0.0.1}]\n'),
      /routers\[0\]\.servers\[0\]\.port: required: /,
    )
    t.match(
      refusal(t, 'routers:\n  - servers: [{port: 1}]\n    identifier: {kind: io.l5d.foo}\n'),
      /^proxy\.yaml:3:24: routers\[0\]\.identifier\.kind: unknown identifier kind "io\.l5d\.foo"; known kinds: io\.l5d\.header\.token, /,
    )
    t.match(
      refusal(t, 'routers:\n  - servers: [{port: 1}]\n    identifier: {kind: io.l5d.static}\n'),
      'routers[0].identifier.path: required: expected string',
    )
    t.match(
      refusal(
        t,
        'routers:\n  - servers: [{port: 1}]\n    identifier: [{kind: io.l5d.path}, {kind: nope}]\n',
      ),
      'routers[0].identifier[1].kind: unknown identifier kind "nope"',
    )
  },
)

t.test(
  'a router dtab beside a local interpreter with its own dtab or dtabFile is refused',
  async (t) => {
    for (const own of ['dtab: /svc => /y', 'dtabFile: routing.dtab']) {
      const msg = refusal(
        t,
        `routers:\n  - servers: [{port: 1}]\n    dtab: /svc => /x\n    interpreter: {kind: local, ${own}}\n`,
      )
      t.equal(
        msg,
        `proxy.yaml:3:11: routers[0].dtab: the interpreter has its own ${own.split(':')[0]}; give the dtab in one place`,
      )
    }
  },
)

t.test('a router without servers, and a config without routers, are refused', async (t) => {
  t.match(refusal(t, 'routers:\n  - label: a\n'), 'routers[0].servers: ')
  t.match(refusal(t, 'admin: {port: 9990}\n'), 'routers: ')
  t.match(refusal(t, 'routers: []\n'), 'routers: at least one router')
})

t.test('YAML that does not parse is refused with its position', async (t) => {
  t.match(refusal(t, 'routers:\n  - servers: [port: 1\n'), /^proxy\.yaml:\d+:\d+: not valid YAML: /)
})

t.test('loadYamlConfig reads a file and names it in errors', async (t) => {
  const dir = await tempDir(t)
  const good = join(dir, 'good.yaml')
  await writeFile(good, 'routers:\n  - label: out\n    servers: [{port: 0}]\n    dtab: /svc=>/x\n')
  const c = await loadYamlConfig(good, ProxyConfig)
  t.equal(c.routers[0]!.label, 'out')
  const bad = join(dir, 'bad.yaml')
  await writeFile(bad, 'routers:\n  - servers: [{port: -1}]\n')
  await t.rejects(loadYamlConfig(bad, ProxyConfig), {
    name: 'ConfigError',
    message: new RegExp(
      `^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:22: routers\\[0\\]\\.servers\\[0\\]\\.port: `,
    ),
  })
  await t.rejects(loadYamlConfig(join(dir, 'missing.yaml'), ProxyConfig), {
    message: /^cannot read config file .*missing\.yaml: /,
  })
})

// Issue 15's keys: protocol h2, server and client tls in Linkerd's names, io.l5d.static configs.
const router = (extra: string) =>
  `routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4140}]\n${extra}`

t.test('server tls takes Linkerd keys; requireClientAuth defaults off', async (t) => {
  const c = parseYamlConfig(
    'proxy.yaml',
    'routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4143, tls: {certPath: certs/proxy.crt, keyPath: certs/proxy.key}}]\n',
    ProxyConfig,
  )
  t.same(c.routers[0]!.servers[0]!.tls, {
    certPath: 'certs/proxy.crt',
    keyPath: 'certs/proxy.key',
    requireClientAuth: false,
  })
  const mtls = parseYamlConfig(
    'proxy.yaml',
    'routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4143, tls: {certPath: c.pem, keyPath: k.pem, caCertPath: ca.pem, requireClientAuth: true, ciphers: [ECDHE-ECDSA-AES128-GCM-SHA256]}}]\n',
    ProxyConfig,
  )
  t.same(mtls.routers[0]!.servers[0]!.tls, {
    certPath: 'c.pem',
    keyPath: 'k.pem',
    caCertPath: 'ca.pem',
    requireClientAuth: true,
    ciphers: ['ECDHE-ECDSA-AES128-GCM-SHA256'],
  })
})

t.test('server tls without a key, or mTLS without its CA, is refused where it is', async (t) => {
  t.match(
    refusal(
      t,
      'routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4143, tls: {certPath: c.pem}}]\n',
    ),
    /proxy\.yaml:3:\d+: routers\[0\]\.servers\[0\]\.tls\.keyPath/,
  )
  t.match(
    refusal(
      t,
      'routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4143, tls: {certPath: c.pem, keyPath: k.pem, requireClientAuth: true}}]\n',
    ),
    'requireClientAuth needs caCertPath: the CA that signs the client certificates',
  )
  t.match(
    refusal(
      t,
      'routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4143, tls: {certPath: c.pem, keyPath: k.pem, caCert: ca.pem}}]\n',
    ),
    'unknown key "caCert"',
  )
  t.match(
    refusal(
      t,
      'routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4143, tls: {certPath: "", keyPath: k.pem}}]\n',
    ),
    'routers[0].servers[0].tls.certPath',
  )
})

t.test('client tls takes Linkerd keys; disableValidation defaults off', async (t) => {
  const c = parseYamlConfig(
    'proxy.yaml',
    router(
      '    client:\n      tls:\n        commonName: world.example\n        trustCerts: [ca.pem]\n        trustCertsBundle: bundle.pem\n        clientAuth: {certPath: c.pem, keyPath: k.pem}\n',
    ),
    ProxyConfig,
  )
  t.same(c.routers[0]!.client.tls, {
    disableValidation: false,
    commonName: 'world.example',
    trustCerts: ['ca.pem'],
    trustCertsBundle: 'bundle.pem',
    clientAuth: { certPath: 'c.pem', keyPath: 'k.pem' },
  })
  t.match(
    refusal(t, router('    client: {tls: {trustCerts: []}}\n')),
    'routers[0].client.tls.trustCerts',
  )
  t.match(
    refusal(t, router('    client: {tls: {clientAuth: {certPath: c.pem}}}\n')),
    'routers[0].client.tls.clientAuth.keyPath',
  )
})

t.test('io.l5d.static takes configs per prefix, with * and {name} elements', async (t) => {
  const c = parseYamlConfig(
    'proxy.yaml',
    router(
      '    client:\n      kind: io.l5d.static\n      configs:\n        - prefix: /#/io.l5d.fs/*\n          connectTimeoutMs: 500\n        - prefix: "/#/io.l5d.fs/{service}"\n          tls: {commonName: "{service}.example", trustCerts: [ca.pem]}\n',
    ),
    ProxyConfig,
  )
  const client = c.routers[0]!.client
  t.equal(client.kind, 'io.l5d.static')
  t.same(client.configs, [
    { prefix: '/#/io.l5d.fs/*', connectTimeoutMs: 500 },
    {
      prefix: '/#/io.l5d.fs/{service}',
      tls: { commonName: '{service}.example', trustCerts: ['ca.pem'], disableValidation: false },
    },
  ])
  t.equal(client.connectTimeoutMs, 3000, "the client's own keys stay the defaults under them")
})

t.test(
  'io.l5d.static without configs, configs without it, and bad prefixes are refused',
  async (t) => {
    t.match(
      refusal(t, router('    client: {kind: io.l5d.static}\n')),
      'routers[0].client.configs: io.l5d.static needs configs',
    )
    t.match(
      refusal(t, router('    client: {configs: [{prefix: /#/io.l5d.fs}]}\n')),
      'routers[0].client.configs: configs are for kind: io.l5d.static',
    )
    t.match(
      refusal(t, router('    client: {kind: io.l5d.static, configs: [{prefix: "io.l5d.fs"}]}\n')),
      /routers\[0\]\.client\.configs\[0\]\.prefix: not a prefix: a prefix starts with '\/'/,
    )
    t.match(
      refusal(
        t,
        router('    client: {kind: io.l5d.static, configs: [{prefix: "/#/x{service}"}]}\n'),
      ),
      'a variable is {name}, alone',
    )
    t.match(
      refusal(t, router('    client: {kind: io.l5d.static, configs: [{prefix: "/#/{1x}"}]}\n')),
      'a variable is {name}, alone',
    )
    t.match(
      refusal(t, router('    client: {kind: io.l5d.static, configs: []}\n')),
      'routers[0].client.configs',
    )
    t.match(
      refusal(t, router('    client: {kind: io.l5d.fancy}\n')),
      'io.l5d.global (one config for every client) or io.l5d.static (configs per prefix)',
    )
  },
)

t.test('protocol h2 takes the HTTP/2 server keys; an http router refuses them', async (t) => {
  const c = parseYamlConfig(
    'proxy.yaml',
    'routers:\n  - protocol: h2\n    experimental: true\n    dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4142, maxConcurrentStreamsPerConnection: 100, initialStreamWindowBytes: 1048576, maxFrameBytes: 32768, maxHeaderListBytes: 32768}]\n',
    ProxyConfig,
  )
  const r = c.routers[0]!
  t.equal(r.protocol, 'h2')
  t.equal(r.servers[0]!.maxConcurrentStreamsPerConnection, 100)
  t.equal(r.servers[0]!.maxFrameBytes, 32768)
  t.match(
    refusal(
      t,
      router('').replace('[{port: 4140}]', '[{port: 4140, maxConcurrentStreamsPerConnection: 10}]'),
    ),
    'routers[0].servers[0].maxConcurrentStreamsPerConnection: maxConcurrentStreamsPerConnection is an HTTP/2 setting: for a router with protocol: h2',
  )
  t.match(refusal(t, router('    protocol: h3\n')), 'routers[0].protocol: http or h2')
  t.match(
    refusal(
      t,
      'routers:\n  - protocol: h2\n    dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4142, maxFrameBytes: 1000}]\n',
    ),
    'routers[0].servers[0].maxFrameBytes',
  )
})

t.test('the namerd interpreter takes client tls; the admin server refuses tls', async (t) => {
  const c = parseYamlConfig(
    'proxy.yaml',
    'routers:\n  - servers: [{port: 4140}]\n    interpreter: {kind: io.l5d.namerd.http, dst: "https://namerd:4180", tls: {commonName: namerd.example, trustCerts: [ca.pem]}}\n',
    ProxyConfig,
  )
  const i = c.routers[0]!.interpreter
  t.ok(i !== undefined && 'dst' in i)
  t.same(i !== undefined && 'dst' in i ? i.tls : undefined, {
    disableValidation: false,
    commonName: 'namerd.example',
    trustCerts: ['ca.pem'],
  })
  t.match(
    refusal(t, `admin: {port: 9990, tls: {certPath: c.pem, keyPath: k.pem}}\n${router('')}`),
    'admin.tls: the admin server does not serve TLS',
  )
})
