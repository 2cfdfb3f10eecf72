// The config files docs/proxy.md, docs/namerd.md and docs/rollouts.md show as complete examples (```yaml check
// <program> blocks) load: each is written to a temporary folder and checked by its program's
// --check, as a user would before starting it; exit 0 or the test shows what the program said.
// A directory a config names as an io.l5d.fs rootDir is made first (the page assumes it
// exists; --check verifies it does), and the TLS files a config names (certPath, keyPath,
// caCertPath, trustCerts, trustCertsBundle) are written with real PEM made by openssl
// (test/support/certs.ts: one certificate and its key for every certPath/keyPath, the CA that
// signed it for every CA path), so the examples load whether or not --check reads them, as the
// proxy does at start. Fragments (a key or two of a larger file) and
// Kubernetes manifests are not marked; test/deploy checks deploy/'s configs. Nor is namerd.md's
// "Configuration reference" file: its tokens are placeholders ("<at least 16 characters>")
// that namerd rightly refuses, and a real-looking token there would be copied into real files.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseYamlConfig } from '@switchyard/config'
import t from 'tap'
import { ProxyConfig } from '../../packages/proxy/src/config/schema.js'
import { ClientTls } from '../../packages/proxy/src/tls/client-tls.js'
import { ServerTls } from '../../packages/proxy/src/tls/server-tls.js'
import { ROOT } from '../e2e/processes.js'
import { makeTestCerts, type TestCerts } from '../support/certs.js'
import { configBlocks } from './transcript.js'

/** Each program, and what its --check prints for a config it can run with. */
const PROGRAMS: Record<string, { bin: string; ok: RegExp }> = {
  namerd: { bin: join(ROOT, 'packages/namerd/bin/namerd.js'), ok: /^namerd: configuration OK$/m },
  'switchyard-proxy': {
    bin: join(ROOT, 'packages/proxy/bin/switchyard-proxy.js'),
    ok: /config\.yaml: valid$/m,
  },
}

/** The TLS files a config's text names, each with the PEM it gets. */
function tlsFiles(text: string, certs: TestCerts): [string, string][] {
  const out: [string, string][] = []
  const path = String.raw`["']?([\w./-]+)["']?`
  for (const m of text.matchAll(
    new RegExp(`\\b(certPath|keyPath|caCertPath|trustCertsBundle):\\s*${path}`, 'g'),
  )) {
    const key = m[1]!
    const pem =
      key === 'certPath' ? certs.server.cert : key === 'keyPath' ? certs.server.key : certs.ca.cert
    out.push([m[2]!, pem])
  }
  // trustCerts: [a, b] (a flow list) or a block list of `- a` lines after it.
  for (const m of text.matchAll(/\btrustCerts:\s*\[([^\]]*)\]/g)) {
    for (const p of m[1]!.split(','))
      out.push([p.trim().replace(/^["']|["']$/g, ''), certs.ca.cert])
  }
  for (const m of text.matchAll(/\btrustCerts:\s*\n((?:\s*-\s*\S+\n?)+)/g)) {
    for (const line of m[1]!.split('\n')) {
      const item = /-\s*(\S+)/.exec(line)?.[1]
      if (item !== undefined) out.push([item.replace(/^["']|["']$/g, ''), certs.ca.cert])
    }
  }
  return out
}

/**
 * Loads every tls section of a proxy config as the proxy does at start (its files relative to
 * `dir`); throws the proxy's TlsConfigError naming the key and the file. The number loaded.
 */
async function loadTls(file: string, text: string, dir: string): Promise<number> {
  const config = parseYamlConfig(file, text, ProxyConfig)
  // ServerTls logs only warnings (an expired certificate) and reloads: neither happens here.
  const logger = { warn: () => {}, info: () => {} } as unknown as Parameters<
    typeof ServerTls.load
  >[2]
  let loaded = 0
  for (const router of config.routers) {
    for (const server of router.servers) {
      if (server.tls === undefined) continue
      const alpn = router.protocol === 'h2' ? ['h2'] : ['http/1.1']
      ;(await ServerTls.load(server.tls, dir, logger, alpn)).close()
      loaded++
    }
    const client = router.client
    for (const tls of [client.tls, ...(client.configs ?? []).map((c) => c.tls)]) {
      if (tls === undefined) continue
      ClientTls.load(tls, dir)
      loaded++
    }
    const interpreter = router.interpreter
    if (interpreter !== undefined && 'tls' in interpreter && interpreter.tls !== undefined) {
      ClientTls.load(interpreter.tls, dir)
      loaded++
    }
  }
  return loaded
}

let certs: TestCerts | undefined
t.before(async () => {
  certs = await makeTestCerts()
})
t.teardown(() => certs?.close())

for (const page of ['docs/proxy.md', 'docs/namerd.md', 'docs/rollouts.md']) {
  const blocks = configBlocks(readFileSync(join(ROOT, page), 'utf8'))
  t.test(`${page} marks its complete config examples`, async (t) => {
    t.ok(blocks.length > 0, 'at least one')
  })
  for (const block of blocks) {
    t.test(`${page}:${block.line}: ${block.program} --check loads it`, async (t) => {
      const program = PROGRAMS[block.program]
      t.ok(program, `a program the test knows: ${block.program}`)
      if (program === undefined) return
      const dir = mkdtempSync(join(tmpdir(), 'config-block-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      for (const m of block.text.matchAll(/rootDir:\s*([\w./-]+)/g)) {
        mkdirSync(join(dir, m[1]!), { recursive: true })
      }
      for (const [file, pem] of tlsFiles(block.text, certs!)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true })
        writeFileSync(join(dir, file), pem)
      }
      writeFileSync(join(dir, 'config.yaml'), block.text)
      const run = spawnSync(process.execPath, [program.bin, '--check', '--config', 'config.yaml'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig') },
        timeout: 20_000,
      })
      t.equal(run.status, 0, `exits 0\n${run.stdout}${run.stderr}`)
      t.match(run.stdout, program.ok, 'says the config is usable')
      if (block.program === 'switchyard-proxy' && /\btls:/.test(block.text)) {
        // Its TLS as the proxy loads it at start: the keys make sense together (a key that is
        // its certificate's, CAs that parse), and the files are where the example says.
        const n = await loadTls(join(dir, 'config.yaml'), block.text, dir)
        t.ok(n > 0, `its ${n} tls sections load`)
      }
    })
  }
}
