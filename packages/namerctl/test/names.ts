// A namerd whose names resolve, for tests of the commands that check destinations before they
// write (shift, dtab create|update|edit). One io.l5d.fs namer over a folder of endpoint files,
// mounted twice: at /#/io.l5d.fs (the demo's dtab) and at /#/io.l5d.k8s/default/http, where it
// stands in for Kubernetes so that helpers.ts's INTERNAL dtab routes /srv/world-v1 to a file.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Namerd, startNamerd, tempDir } from './helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** The demo's dtab (scripts/demo.ts, test/e2e/blue-green.test.ts) on the fs namer. */
export const DEMO = `/srv        => /#/io.l5d.fs;
/host       => /srv;
/tmp        => /srv;
/svc        => /host;
/host/world => /srv/world-v1;
`

/** Each name with its endpoints (`ip port` lines); a name with none binds no endpoints. */
export const DEFAULT_NAMES: Readonly<Record<string, readonly string[]>> = {
  'world-v1': ['10.0.0.5 8080', '10.0.0.6 8080'],
  'world-v2': ['10.0.0.7 8080'],
  'hello-v1': ['10.0.1.5 8080'],
  'hello-v2': ['10.0.1.6 8080'],
  'world-empty': [],
  ...Object.fromEntries(
    ['a', 'b', 'c', 'd', 'e'].flatMap((n) => [
      [`${n}-v1`, ['10.0.2.1 8080']],
      [`${n}-v2`, ['10.0.2.2 8080']],
    ]),
  ),
}

export interface NamedNamerd extends Namerd {
  /** The folder the fs namer reads: one file per name. */
  readonly disco: string
  /** Writes (or, with null, removes) a name's endpoint file. */
  setName(name: string, endpoints: readonly string[] | null): Promise<void>
}

export async function startNamerdWithNames(
  t: Teardown,
  names: Readonly<Record<string, readonly string[]>> = DEFAULT_NAMES,
): Promise<NamedNamerd> {
  const dir = await tempDir(t, 'namerctl-names-')
  const disco = join(dir, 'disco')
  await mkdir(disco)
  const setName = async (name: string, endpoints: readonly string[] | null) => {
    if (endpoints === null) await rm(join(disco, name), { force: true })
    else await writeFile(join(disco, name), endpoints.map((e) => `${e}\n`).join(''))
  }
  for (const [name, endpoints] of Object.entries(names)) await setName(name, endpoints)
  await writeFile(
    join(dir, 'namerd.yaml'),
    [
      'store: memory',
      'namers:',
      `  - {kind: io.l5d.fs, rootDir: ${JSON.stringify(disco)}}`,
      `  - {kind: io.l5d.fs, rootDir: ${JSON.stringify(disco)}, prefix: /io.l5d.k8s/default/http}`,
      '',
    ].join('\n'),
  )
  const namerd = await startNamerd(t, ['--config', join(dir, 'namerd.yaml')])
  return { ...namerd, disco, setName }
}
