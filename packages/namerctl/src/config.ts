// Where namerd is and how to authenticate, as namerctl finds it (namerd-wire.md §2.1): the flag,
// then the environment, then a `.namerctl.yaml` (or .yml, .json) in the working directory or
// the nearest parent that has one, or the file given with --config.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { CliError, UsageError } from './errors.js'
import type { TlsFile, TlsFiles } from './tls.js'

export const BASE_URL_ENV = 'NAMERCTL_BASE_URL'
export const TOKEN_ENV = 'NAMERCTL_TOKEN'
export const CA_CERT_ENV = 'NAMERCTL_CA_CERT'
export const CERT_ENV = 'NAMERCTL_CERT'
export const KEY_ENV = 'NAMERCTL_KEY'
export const CONFIG_NAMES = ['.namerctl.yaml', '.namerctl.yml', '.namerctl.json'] as const

/** The keys of the config file; unknown keys are ignored, as viper did. */
const ConfigFile = z
  .object({
    'base-url': z.string().optional(),
    token: z.string().optional(),
    /** An https namerd: the CA that signed its certificate; a client certificate and key. */
    'ca-cert': z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
  })
  .nullable()

export interface GlobalFlags {
  readonly baseUrl?: string | undefined
  readonly config?: string | undefined
  readonly token?: string | undefined
  readonly caCert?: string | undefined
  readonly cert?: string | undefined
  readonly key?: string | undefined
}

export interface Settings {
  readonly baseUrl: URL
  readonly token: string | undefined
  /** TLS files for an https namerd (tls.ts), each with where it came from. */
  readonly tls: TlsFiles
  /** The config file that was read, if any. */
  readonly configFile: string | undefined
}

/** The nearest config file from `cwd` upwards, or undefined. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = resolve(cwd)
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const candidate = join(dir, name)
      if (readable(candidate)) return candidate
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

function readable(file: string): boolean {
  try {
    readFileSync(file)
    return true
  } catch {
    return false
  }
}

function readConfigFile(file: string): z.infer<typeof ConfigFile> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new CliError('config', `cannot read config file ${file}`, [String(err)])
  }
  let value: unknown
  try {
    value = parseYaml(text)
  } catch (err) {
    throw new CliError('config', `config file ${file} is not valid YAML or JSON`, [
      err instanceof Error ? err.message : String(err),
    ])
  }
  const parsed = ConfigFile.safeParse(value)
  if (!parsed.success) {
    throw new CliError('config', `config file ${file} is not a namerctl config`, [
      'expected keys: base-url: http://namerd.example.com:4180, token: <bearer token>, ca-cert, cert, key: <PEM files>',
      ...parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
    ])
  }
  return parsed.data
}

/** A scheme at the start (`http://`, `https://`, `ftp://`...), as a URL has one. */
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i

/**
 * namerctl's checks: a scheme and a host, else `invalid base URL`; nothing at all, `empty base
 * URL`. A bare `host:port` (`localhost:4180`, as `namerd` prints its address) is taken as
 * `http://host:port`: it is what people type, and WHATWG URL would read `localhost:` as a scheme.
 * `from` says where the text came from (`--base-url`, `NAMERCTL_BASE_URL`, a file), for the error.
 */
export function parseBaseUrl(text: string, from?: string): URL {
  if (text === '') {
    throw new UsageError('empty base URL', [
      `tell namerctl where namerd is: --base-url http://namerd.example.com:4180, ${BASE_URL_ENV}, or base-url in a .namerctl.yaml`,
    ])
  }
  const where = from === undefined ? [] : [`(from ${from})`]
  const candidate = HAS_SCHEME.test(text) ? text : `http://${text}`
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    throw new UsageError(`invalid base URL: ${text}`, [
      ...where,
      'a base URL is a host and port, with or without a scheme, e.g. http://namerd.example.com:4180 or localhost:4180',
    ])
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new UsageError(`invalid base URL: ${text}`, [
      ...where,
      'a base URL has a scheme (http or https) and a host, e.g. http://namerd.example.com:4180',
    ])
  }
  return url
}

export function resolveSettings(
  flags: GlobalFlags,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Settings {
  const configFile = flags.config !== undefined ? resolve(cwd, flags.config) : findConfigFile(cwd)
  const file = configFile === undefined ? null : readConfigFile(configFile)
  const fromEnv = nonEmpty(env[BASE_URL_ENV])
  const [baseUrl, from] =
    flags.baseUrl !== undefined
      ? [flags.baseUrl, '--base-url']
      : fromEnv !== undefined
        ? [fromEnv, BASE_URL_ENV]
        : file?.['base-url'] !== undefined
          ? [file['base-url'], `base-url in ${configFile}`]
          : ['', undefined]
  const token = flags.token ?? nonEmpty(env[TOKEN_ENV]) ?? file?.token
  // A path in the file is relative to the file, as in namerd's and the proxy's configs.
  const tlsFile = (
    flag: string,
    flagValue: string | undefined,
    envName: string,
    fileKey: 'ca-cert' | 'cert' | 'key',
  ): TlsFile | undefined => {
    if (flagValue !== undefined && flagValue !== '')
      return { path: resolve(cwd, flagValue), from: flag }
    const fromEnvValue = nonEmpty(env[envName])
    if (fromEnvValue !== undefined) return { path: resolve(cwd, fromEnvValue), from: envName }
    const inFile = nonEmpty(file?.[fileKey])
    if (inFile !== undefined && configFile !== undefined)
      return { path: resolve(dirname(configFile), inFile), from: `${fileKey} in ${configFile}` }
    return undefined
  }
  const tls: TlsFiles = {
    caCert: tlsFile('--ca-cert', flags.caCert, CA_CERT_ENV, 'ca-cert'),
    cert: tlsFile('--cert', flags.cert, CERT_ENV, 'cert'),
    key: tlsFile('--key', flags.key, KEY_ENV, 'key'),
  }
  return { baseUrl: parseBaseUrl(baseUrl, from), token: nonEmpty(token), configFile, tls }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s
}
