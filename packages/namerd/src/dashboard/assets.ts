// The dashboard's built files (@switchyard/dashboard's dist/, made by `pnpm build`), read once
// at start into memory with their gzip and brotli forms: a few hundred KB, served without a disk
// read per request. Missing files are not an error here: namerd still serves its API, and the
// dashboard's address says how to build them.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { z } from 'zod'

const ManifestEntry = z.object({
  type: z.string(),
  etag: z.string(),
  bytes: z.int().nonnegative(),
})
const Manifest = z.record(z.string(), ManifestEntry)

export interface Asset {
  readonly type: string
  readonly etag: string
  readonly identity: Buffer
  readonly gzip: Buffer
  readonly brotli: Buffer
}

export type DashboardAssets =
  | { readonly ok: true; readonly dir: string; readonly files: ReadonlyMap<string, Asset> }
  | { readonly ok: false; readonly problem: string }

/** The dist/ folder of the installed @switchyard/dashboard; null when it is not installed. */
export function dashboardDist(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('@switchyard/dashboard/package.json')
    return join(dirname(pkg), 'dist')
  } catch {
    return null
  }
}

export function loadAssets(dir: string | null = dashboardDist()): DashboardAssets {
  if (dir === null) {
    return {
      ok: false,
      problem: 'the package @switchyard/dashboard is not installed beside namerd',
    }
  }
  let manifest: z.infer<typeof Manifest>
  try {
    manifest = Manifest.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')))
  } catch (err) {
    return {
      ok: false,
      problem: `the dashboard's files are not built in ${dir} (${(err as Error).message.split('\n', 1)[0]}): run pnpm build`,
    }
  }
  const files = new Map<string, Asset>()
  try {
    for (const [name, entry] of Object.entries(manifest)) {
      // The manifest is ours, but a name is still never allowed out of dist/.
      if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) continue
      files.set(name, {
        type: entry.type,
        etag: entry.etag,
        identity: readFileSync(join(dir, name)),
        gzip: readFileSync(join(dir, `${name}.gz`)),
        brotli: readFileSync(join(dir, `${name}.br`)),
      })
    }
  } catch (err) {
    return {
      ok: false,
      problem: `the dashboard's files in ${dir} are incomplete (${(err as Error).message}): run pnpm build`,
    }
  }
  if (!files.has('index.html')) {
    return {
      ok: false,
      problem: `the dashboard's files in ${dir} have no index.html: run pnpm build`,
    }
  }
  return { ok: true, dir, files }
}
