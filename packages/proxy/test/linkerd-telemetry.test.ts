// Linkerd's `telemetry:` is ignored with a reason for each telemeter's kind, as the proxy's
// --check says it: metrics kinds are served by the admin server (or pushed, which the proxy does
// not do), tracers record traces, which the proxy does not. It said "the admin server serves the
// metrics" for a zipkin tracer. The real command (bin/switchyard-proxy.js).
import t, { type Test } from 'tap'

import { tempDir } from './interpret-helpers.js'
import { runProxyCommand, writeConfig } from './proxy-process.js'

const config = (telemetry: string) => `admin:
  ip: 127.0.0.1
  port: 9990
telemetry:
${telemetry}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/8080
  servers:
  - port: 4140
    ip: 127.0.0.1
`

async function warning(t: Test, telemetry: string): Promise<string> {
  const file = await writeConfig(await tempDir(t), config(telemetry), 'linkerd.yaml')
  const r = await runProxyCommand(['--check', '--config', file])
  t.equal(r.code, 0, r.stderr)
  return r.stderr
}

t.test(
  'a tracer is ignored because the proxy records no traces, not for the metrics',
  async (t) => {
    const stderr = await warning(
      t,
      '- kind: io.l5d.zipkin\n  host: zipkin-collector.default.svc.cluster.local\n  sampleRate: 1.0',
    )
    t.equal(
      stderr,
      'switchyard-proxy: warning: Linkerd config keys this proxy does not use, ignored: telemetry (io.l5d.zipkin: the proxy records no traces; l5d-ctx-trace is passed through)\n',
    )
    t.notMatch(stderr, 'metrics')
  },
)

t.test('each telemeter has its own reason, metrics kinds and tracers', async (t) => {
  const stderr = await warning(
    t,
    [
      '- kind: io.l5d.prometheus',
      '- kind: io.l5d.statsd',
      '- kind: io.l5d.recentRequests\n  sampleRate: 1.0',
      '- kind: io.l5d.tracelog',
      '- kind: io.zipkin.http',
      '- kind: com.example.custom',
    ].join('\n'),
  )
  t.equal(
    stderr,
    'switchyard-proxy: warning: Linkerd config keys this proxy does not use, ignored: telemetry (' +
      'io.l5d.prometheus: the admin server serves Prometheus metrics at /admin/metrics/prometheus, ' +
      'io.l5d.statsd: the proxy pushes no metrics to StatsD; scrape /admin/metrics/prometheus, ' +
      "io.l5d.recentRequests: the proxy keeps no recent requests; the router's httpAccessLog records every request, " +
      'io.l5d.tracelog: the proxy records no traces; l5d-ctx-trace is passed through, ' +
      'io.zipkin.http: the proxy records no traces; l5d-ctx-trace is passed through, ' +
      'com.example.custom: a telemeter the proxy does not run; it serves /admin/metrics/prometheus and records no traces)\n',
  )
})
