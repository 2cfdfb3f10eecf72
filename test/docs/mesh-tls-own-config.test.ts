// docs/kubernetes.md, "TLS between the proxies", "With a proxy config of your own": the overlay
// and the proxy.yaml it shows are written as a user would (beside a copy of nothing: the
// overlay's `../switchyard/deploy/...` paths point at this repository's deploy/), rendered with
// kubectl, and the proxy container's config, with the Secret's files where the kubelet puts
// them, passes `switchyard-proxy --check` with TLS on incoming; the user's config is the one in
// the ConfigMap. The same overlay with the mesh-tls component instead of mesh-tls-files is
// refused at render with the error the page quotes, rather than having its config replaced.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import t, { type Test } from 'tap'
import { containerRun } from '../deploy/container-run.js'
import { ourImage } from '../deploy/images.js'
import { DEPLOY, ROOT, render, renderYaml, requireKubectl } from '../deploy/kustomize.js'
import { workloads } from '../deploy/workloads.js'

/** The proxy's command from its sources (as test/deploy/configs.test.ts runs it). */
const PROXY = ['--import', 'tsx', '--conditions=@switchyard/source', 'packages/proxy/src/main.ts']

const PAGE = readFileSync(join(ROOT, 'docs/kubernetes.md'), 'utf8')
const SECTION = PAGE.slice(PAGE.indexOf('**With a proxy config of your own.**'))

/** The yaml block of the section whose first line is `# my-switchyard/<name>`. */
function shownFile(name: string): string {
  for (const m of SECTION.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const text = m[1]!
    if (text.startsWith(`# my-switchyard/${name}\n`)) return text
  }
  throw new Error(`no yaml block for my-switchyard/${name} in "With a proxy config of your own"`)
}

/** The quoted render error, `...` standing for any text. */
function shownError(): RegExp {
  const block = /```\n([^\n]*)\n```/.exec(SECTION)?.[1]
  if (block === undefined) throw new Error('no error block in "With a proxy config of your own"')
  const parts = block.split('...').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(parts.join('.*'))
}

/** The page's overlay in a temporary folder, `../switchyard/deploy` made this repository's. */
function overlay(t: Test, kustomization: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'my-switchyard-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    kustomization.replaceAll('../switchyard/deploy', relative(dir, DEPLOY)),
  )
  writeFileSync(join(dir, 'proxy.yaml'), shownFile('proxy.yaml'))
  return dir
}

if (requireKubectl(t)) {
  t.test('the overlay with mesh-tls-files keeps its own config and passes --check', async (t) => {
    const dir = overlay(t, shownFile('kustomization.yaml'))
    const objects = render(dir)
    const w = workloads(objects).find(
      (x) => ourImage(x.pod.containers[0]?.image ?? '')?.target === 'proxy',
    )
    if (w === undefined) throw new Error('no proxy workload')
    const run = containerRun(objects, w, w.pod.containers[0]!)
    t.teardown(run.cleanup)
    const file = run.args[run.args.indexOf('--config') + 1] ?? ''
    t.equal(
      readFileSync(file, 'utf8'),
      shownFile('proxy.yaml'),
      'the container reads the config the page shows',
    )
    const r = spawnSync(process.execPath, [...PROXY, '--check', ...run.args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...run.env },
      timeout: 60_000,
    })
    t.equal(r.status, 0, `exit 0; stderr: ${r.stderr}`)
    t.match(r.stdout, /: valid$/m, 'valid')
    t.match(
      r.stdout,
      /^router incoming: 0\.0\.0\.0:4141 \(tls, mTLS required: CN=switchyard-proxy\.switchyard\.svc/m,
      'incoming serves TLS with the Secret’s certificate, mTLS required',
    )
  })

  t.test('the same overlay with mesh-tls is refused at render, as the page says', async (t) => {
    const kustomization = shownFile('kustomization.yaml').replace(
      'components/mesh-tls-files]',
      'components/mesh-tls]',
    )
    t.not(kustomization, shownFile('kustomization.yaml'), 'the overlay now names mesh-tls')
    const dir = overlay(t, kustomization)
    let error = ''
    try {
      renderYaml(dir)
    } catch (err) {
      // kubectl prints `error: <message>`; some builds log it as a quoted err="..." instead.
      error = String((err as { stderr?: unknown }).stderr ?? err).replaceAll('\\"', '"')
    }
    t.match(error, shownError(), 'kubectl stops with the error quoted on the page')
  })
}
