// The programs accept what the manifests give them: for every namerd and proxy container in
// every kustomization, the container's own args (with `$(VAR)` expanded), env (downward API,
// the tokens Secret) and ConfigMap files are run through the program's own checks. The proxy:
// `switchyard-proxy --check`, the real command. namerd's --check also looks for the Kubernetes
// configuration, which only a pod in the cluster has (it exits 2 here, rightly), so namerd gets
// the steps its command runs before it starts serving (parse the command line, resolve file,
// env and flags, refuse an exposed address without a write token), from its own modules.
import { spawnSync } from 'node:child_process'
import { Auth, exposureProblem, parseCommandLine, resolveSettings } from '@switchyard/namerd'
import t from 'tap'
import { containerRun } from './container-run.js'
import { ourImage } from './images.js'
import { kustomizations, ROOT, render, requireKubectl } from './kustomize.js'
import { workloads } from './workloads.js'

/** The proxy's command from its sources (what `pnpm build` compiles to bin/switchyard-proxy). */
const PROXY = ['--import', 'tsx', '--conditions=@switchyard/source', 'packages/proxy/src/main.ts']

/** namerd's start-up checks; resolves with the problem, or null when namerd would start. */
async function namerdProblem(
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ problem: string | null; store?: string }> {
  try {
    const command = parseCommandLine(args)
    if (command.type !== 'run') return { problem: `the args ask for ${command.type}` }
    const settings = await resolveSettings(command.flags, env, cwd)
    const auth = new Auth({ tokens: settings.tokens, anonymousReads: settings.anonymousReads })
    return {
      problem: exposureProblem(settings.listen.host, auth, settings.insecure),
      store: settings.store.kind,
    }
  } catch (err) {
    return { problem: (err as Error).message }
  }
}

if (requireKubectl(t)) {
  let namerds = 0
  let proxies = 0
  for (const k of kustomizations()) {
    const objects = render(k.dir)
    for (const w of workloads(objects)) {
      for (const c of w.pod.containers) {
        const image = c.image ?? ''
        if (ourImage(image)?.target === 'namerd') {
          namerds++
          t.test(`${k.name}: namerd accepts ${w.id}'s args, env and config`, async (t) => {
            const run = containerRun(objects, w, c)
            t.teardown(run.cleanup)
            const { problem, store } = await namerdProblem(run.args, run.env, run.root)
            t.equal(problem, null, `namerd ${run.args.join(' ')}`)
            t.equal(
              store,
              k.name === 'deploy/overlays/etcd' ? 'etcd' : 'k8s',
              'on the store this kustomization is for',
            )
          })
        } else if (ourImage(image)?.target === 'proxy') {
          proxies++
          t.test(`${k.name}: switchyard-proxy --check accepts ${w.id}'s config`, async (t) => {
            const run = containerRun(objects, w, c)
            t.teardown(run.cleanup)
            const r = spawnSync(process.execPath, [...PROXY, '--check', ...run.args], {
              cwd: ROOT,
              encoding: 'utf8',
              env: { ...process.env, ...run.env },
              timeout: 60_000,
            })
            t.equal(r.status, 0, `exit 0; stderr: ${r.stderr}`)
            t.match(r.stdout, /: valid$/m, 'says the config is valid')
          })
        }
      }
    }
  }

  t.test('the checks ran on every kustomization with namerd or the proxy', async (t) => {
    // base, base + host-port, base + mesh-tls, base + mesh-tls-files, and the etcd and
    // from-namerd overlays each run both.
    t.equal(namerds, 6, 'namerd containers checked')
    t.equal(proxies, 6, 'proxy containers checked')
  })

  t.test('the namerd check refuses what namerd refuses', async (t) => {
    const open = await namerdProblem(['--listen', '0.0.0.0:4180', '--store', 'memory'], {}, ROOT)
    t.match(open.problem, /without a write token/)
    const bad = await namerdProblem(['--store', 'nowhere:'], {}, ROOT)
    t.match(bad.problem, /--store/)
  })

  t.test('switchyard-proxy --check refuses a bad config (the check can fail)', async (t) => {
    const r = spawnSync(
      process.execPath,
      [...PROXY, '--check', '--config', 'test/deploy/fixtures/bad-proxy.yaml'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    )
    t.equal(r.status, 2, 'exit 2 for an invalid config')
    t.match(r.stderr, /unknown key "timout"/)
  })
}
