// The `namers:` section of a namerd or proxy config, checked with zod, and the namers it
// builds. Like namerd, prefixes must not overlap, so an id belongs to exactly one namer.
import { keyPath } from '@switchyard/config'
import { Path } from '@switchyard/dtab'
import { errorMessage } from '@switchyard/wire'
import { z } from 'zod'
import { FsNamer, type FsNamerOptions } from './fs-namer.js'
import { hostProblem, k8sConnection } from './k8s/connection.js'
import { K8sNamer, type K8sNamerTuning } from './k8s/namer.js'
import { labelKeyProblem } from './k8s/names.js'
import type { NamerLogger } from './logger.js'
import { namerPrefix } from './prefix.js'
import type { MountedAddrNamer } from './resolver.js'

const Prefix = z.string().superRefine((value, ctx) => {
  try {
    namerPrefix(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a namer prefix: ${errorMessage(err)}` })
  }
})

export const FsNamerConfig = z.strictObject({
  kind: z.literal('io.l5d.fs'),
  rootDir: z
    .string({ error: 'required: the directory of endpoints files' })
    .min(1, 'must not be empty'),
  /** Mounted at `/#/<prefix>`; default `io.l5d.fs`. */
  prefix: Prefix.optional(),
  /** Accepted for Linkerd configs; io.l5d.fs is not experimental, so it changes nothing. */
  experimental: z.boolean().optional(),
})
export type FsNamerConfig = z.infer<typeof FsNamerConfig>

/**
 * Linkerd's io.l5d.k8s keys. With `host` or `port`, the API is plain HTTP there (Linkerd's
 * `kubectl proxy` default, localhost:8001); with neither, the in-cluster service account, else
 * the kubeconfig (KUBECONFIG or ~/.kube/config).
 */
export const K8sNamerConfig = z.strictObject({
  kind: z.literal('io.l5d.k8s'),
  host: z
    .string({ error: 'must be a host name or IP address, e.g. localhost' })
    .superRefine((value, ctx) => {
      const problem = hostProblem(value)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
    })
    .optional(),
  port: z
    .int({ error: 'must be a port number from 1 to 65535, e.g. 8001' })
    .min(1, 'must be a port number from 1 to 65535, e.g. 8001')
    .max(65535, 'must be a port number from 1 to 65535, e.g. 8001')
    .optional(),
  /** Mounted at `/#/<prefix>`; default `io.l5d.k8s`. */
  prefix: Prefix.optional(),
  /** A label key: names gain a segment, its value, selecting the Services and slices with it. */
  labelSelector: z
    .string({ error: 'must be a label key, e.g. version' })
    .superRefine((value, ctx) => {
      const problem = labelKeyProblem(value)
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', message: `not a label key: ${problem}` })
      }
    })
    .optional(),
  /** Accepted for Linkerd configs; io.l5d.k8s is not experimental, so it changes nothing. */
  experimental: z.boolean().optional(),
  /**
   * Linkerd's per-namer transformers would change the bound ids and addresses; only an empty
   * list (which changes nothing) is accepted. Transformers belong in the proxy's interpreter.
   */
  transformers: z
    .array(z.unknown(), { error: 'must be a list' })
    .max(
      0,
      'per-namer transformers are not supported: configure them under the proxy interpreter (interpreter.transformers)',
    )
    .optional(),
})
export type K8sNamerConfig = z.infer<typeof K8sNamerConfig>

const KINDS = ['io.l5d.fs', 'io.l5d.k8s'] as const

export const NamerConfig = z.discriminatedUnion('kind', [FsNamerConfig, K8sNamerConfig], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `unknown namer kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind)}; known kinds: ${KINDS.join(', ')}`
      : undefined,
})
export type NamerConfig = z.infer<typeof NamerConfig>
export const NamersConfig = z.array(NamerConfig)

/** A bad namers config; `issues` are `<where>: <problem>` lines, e.g. `namers[0].rootDir: required`. */
export class NamersConfigError extends Error {
  override readonly name = 'NamersConfigError'
  constructor(readonly issues: readonly string[]) {
    super(`invalid namers config:\n  ${issues.join('\n  ')}`)
  }
}

/** `namers[0].rootDir`: the key path under the section's name `at`. */
function where(at: string, path: readonly PropertyKey[]): string {
  return keyPath([at, ...path])
}

/**
 * Validates a namers config (the array under `namers:`); throws NamersConfigError naming each
 * bad key (`at` is how the section is called in messages).
 */
export function parseNamersConfig(input: unknown, at = 'namers'): NamerConfig[] {
  const r = NamersConfig.safeParse(input)
  if (!r.success) {
    throw new NamersConfigError(
      r.error.issues.map((i) =>
        i.code === 'unrecognized_keys'
          ? `${where(at, i.path)}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`
          : `${where(at, i.path)}: ${i.message}`,
      ),
    )
  }
  // A namer's default prefix is its kind (`/#/io.l5d.fs`), as in Linkerd.
  const prefixes = r.data.map((c) => namerPrefix(c.prefix ?? c.kind))
  const issues: string[] = []
  prefixes.forEach((p, i) => {
    for (let j = 0; j < i; j++) {
      const q = prefixes[j]!
      if (Path.startsWith(p, q) || Path.startsWith(q, p)) {
        issues.push(
          `${at}[${i}].prefix: Namers must not have overlapping prefixes: ${Path.show(q)} & ${Path.show(p)}`,
        )
      }
    }
  })
  if (issues.length > 0) throw new NamersConfigError(issues)
  return r.data
}

/** The namers of a config, ready for `interpreterLookup` and `createAddrResolver`. */
export interface MountedNamers {
  readonly namers: readonly MountedAddrNamer[]
  /** Stops every namer's watching. */
  close(): Promise<void>
}

export type MountOptions = Omit<FsNamerOptions, 'rootDir' | 'prefix'> & {
  /** Timings of the io.l5d.k8s namers (tests shorten them). */
  readonly k8s?: K8sNamerTuning
  /**
   * Where the io.l5d.k8s namers log a read that fails (403, the API server away) and its
   * recovery, once per change; none by default.
   */
  readonly logger?: NamerLogger | undefined
}

/**
 * Validates `config` and opens its namers, in order. If one cannot open (a missing rootDir, no
 * Kubernetes configuration to be found), the ones already open are closed and the error is
 * thrown.
 */
export async function mountNamers(
  config: unknown,
  options: MountOptions = {},
): Promise<MountedNamers> {
  const configs = parseNamersConfig(config)
  const opened: (FsNamer | K8sNamer)[] = []
  const close = async (): Promise<void> => {
    await Promise.all(opened.map((n) => n.close()))
  }
  const { k8s, logger, ...fs } = options
  try {
    for (const c of configs) {
      opened.push(
        c.kind === 'io.l5d.fs'
          ? await FsNamer.open({ ...fs, rootDir: c.rootDir, prefix: c.prefix })
          : await K8sNamer.open({
              connection: k8sConnection(c),
              prefix: c.prefix,
              labelSelector: c.labelSelector,
              logger,
              ...k8s,
            }),
      )
    }
  } catch (err) {
    await close()
    throw err
  }
  return { namers: opened.map((namer) => ({ prefix: namer.prefix, namer })), close }
}

/** One line for logs: `io.l5d.fs /etc/disco`, `io.l5d.k8s http://localhost:8001`. */
export function describeNamerConfig(config: NamerConfig): string {
  if (config.kind === 'io.l5d.fs') return `${config.kind} ${config.rootDir}`
  const connection = k8sConnection(config)
  return `${config.kind} ${connection.kind === 'url' ? connection.url : 'in-cluster, else kubeconfig'}`
}
