// `switchyard-proxy --check` on TLS configs, as users run it (the built dist/main.js): it refuses
// what a start would refuse (exit 2, the config file and key named), shows each server's TLS and
// the namerd interpreter's scheme, and prints the client-TLS warnings a start logs.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { tempDir } from './interpret-helpers.js'

const MAIN = resolve(fileURLToPath(import.meta.url), '../../dist/main.js')
const certs = await makeTestCerts()
t.teardown(() => certs.close())

interface Exit {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

function run(args: string[]): Promise<Exit> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })))
}

/** Writes `lines` as a config file in a fresh directory; returns its path. */
async function configFile(t: Parameters<typeof tempDir>[0], lines: string[]): Promise<string> {
  const file = join(await tempDir(t), 'proxy.yaml')
  await writeFile(file, `${lines.join('\n')}\n`)
  return file
}

const j = JSON.stringify

t.test('--check refuses a cipher list OpenSSL cannot use, as a start does: exit 2', async (t) => {
  const file = await configFile(t, [
    'routers:',
    '  - interpreter: {kind: local, dtab: "/svc => /$/inet/127.0.0.1/1"}',
    '    servers:',
    `      - {port: 0, tls: {certPath: ${j(certs.server.certPath)}, keyPath: ${j(certs.server.keyPath)}, ciphers: [NOPE-CIPHER]}}`,
  ])
  for (const args of [
    ['--check', '--config', file],
    ['--config', file],
  ]) {
    const r = await run(args)
    t.equal(r.code, 2, `${args.join(' ')}: a config error`)
    t.match(
      r.stderr,
      new RegExp(
        `^switchyard-proxy: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: routers\\[0\\]\\.servers\\[0\\]\\.tls\\.ciphers: the TLS settings cannot be used: .*no cipher match`,
      ),
    )
    t.equal(r.stdout, '')
  }
})
